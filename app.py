"""Entry point: `streamlit run app.py`.

Navigation uses st.navigation with st.Page rather than the automatic pages/ folder, because the
page list depends on the signed-in role (a liaison must not even see an admin page's link), the
titles follow the chosen language, and pages are grouped in sections.
"""
from __future__ import annotations

import logging

import streamlit as st

from i18n import t
from ui import data
from ui.frame import language_switch
from ui.navigation import SECTIONS, pages_for
from ui.state import lang, tr

log = logging.getLogger("dashboard")

st.set_page_config(page_title=t("app.title", "zh"), page_icon="assets/favicon.png", layout="wide",
                   initial_sidebar_state="expanded")

try:
    data.prepare_database()
except Exception:  # the database is down or misconfigured: say so, in the user's language
    log.exception("database not ready")
    st.error(tr("app.db_error"))
    st.stop()

role = None
sections: dict[str, list] = {}
for spec in pages_for(role):
    sections.setdefault(tr(spec.section), []).append(
        st.Page(spec.path, title=tr(spec.title_key), icon=spec.icon, default=spec.default))
navigation = st.navigation({k: sections[k] for k in (tr(s) for s in SECTIONS) if k in sections})

st.sidebar.caption(tr("app.title"))
language_switch()

try:
    navigation.run()
except Exception:  # never a stack trace on screen; the log keeps it for the administrator
    log.exception("page failed: %s (lang=%s)", navigation.title, lang())
    st.error(tr("app.unexpected_error"))
