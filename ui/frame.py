"""What every page shares: the sidebar language switch, the sample-data banner, a title."""
from __future__ import annotations

import streamlit as st

from i18n import LANGS
from ui import data
from ui.state import lang, set_lang, tr

LANG_LABELS = {"zh": "中文", "en": "English"}


def language_switch() -> None:
    current = lang()
    choice = st.sidebar.segmented_control(
        tr("app.language"), options=list(LANGS), format_func=LANG_LABELS.get, default=current,
        key="lang_switch", selection_mode="single")
    if choice and choice != current:
        set_lang(choice)
        st.rerun()


def sample_banner() -> None:
    if data.is_sample_database():
        st.info(tr("app.sample_banner"), icon=":material/science:")


def page_title(title_key: str, caption_key: str | None = None) -> None:
    st.title(tr(title_key))
    if caption_key:
        st.caption(tr(caption_key))
