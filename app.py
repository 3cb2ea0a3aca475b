"""Entry point: `streamlit run app.py`.

Navigation uses st.navigation with st.Page rather than the automatic pages/ folder, because the
page list depends on the signed-in role (a liaison must not even see an admin page's link), the
titles follow the chosen language, and pages are grouped in sections.

Before anyone signs in, every URL shows the sign-in form; after signing in the browser stays on
the page it asked for. A signed-in user who opens the URL of a page their role may not see gets a
plain sentence saying so (the page's own code never runs).
"""
from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from data_access import memory
from i18n import t
from ui import auth, data, phone, preload
from ui.frame import language_switch
from ui.navigation import SECTIONS, page_specs, pages_for
from ui.navigation import page as nav_page  # st.Page, kept and copied (issue 18)
from ui.state import lang, tr

log = logging.getLogger("dashboard")

# Once per process in effect (serve.py has already made it when serving through it): the allocator
# settings for `streamlit run app.py` too (data_access.memory).
memory.tune()

st.set_page_config(page_title=t("app.title", "zh"), page_icon="assets/favicon.png", layout="wide",
                   initial_sidebar_state="auto")

data.begin_run()  # the data version is read once per run (ui.data.version)

try:
    data.prepare_database()
except Exception:  # the database is down or misconfigured: say so, in the user's language
    log.exception("database not ready")
    st.error(tr("app.db_error"))
    st.stop()

try:
    user = auth.enforce_session()
except Exception:
    log.exception("session check failed")
    st.error(tr("app.db_error"))
    st.stop()

ACCOUNT_PAGE = "pages/account.py"




def _url_path(path: str) -> str:
    return Path(path).stem


ALL_SPECS = page_specs()


denied: dict[str, str] = {}  # url path -> title key of pages this user may not open
if user is None:
    login = nav_page("pages/login.py", title=tr("auth.login.title"), icon=":material/login:", default=True)
    # Every page also answers at its own URL, hidden: a bookmark shows the sign-in form, and after
    # signing in the browser is already on the page it asked for.
    hidden = [nav_page(s.path, title=tr(s.title_key), url_path=_url_path(s.path), visibility="hidden")
              for s in ALL_SPECS]
    navigation = st.navigation([login, *hidden], position="hidden")
else:
    role = user["role"]
    visible = [s for s in pages_for(role) if s in ALL_SPECS]
    if user.get("must_change_password"):
        # After an administrator's reset, the temporary password only opens the account page.
        visible = [s for s in visible if s.path == ACCOUNT_PAGE]
    sections: dict[str, list] = {}
    has_default = any(s.default for s in visible)
    hidden = []
    for i, spec in enumerate(visible):
        is_default = spec.default or (not has_default and i == 0)
        # The role's first page answers at the root URL; its own name (a link shared by someone
        # whose first page is another, e.g. /meeting from a leader to the display account) leads
        # there too, with the link's parameters, instead of "page not found".
        page = nav_page(spec.path, title=tr(spec.title_key), icon=spec.icon, default=is_default,
                        url_path=f"{_url_path(spec.path)}-start" if is_default else None)
        sections.setdefault(tr(spec.section), []).append(page)
        if is_default:
            hidden.append(st.Page(lambda start=page: st.switch_page(start, query_params=st.query_params.to_dict()),
                                  title=tr(spec.title_key), url_path=_url_path(spec.path), visibility="hidden"))
    shown = {s.path for s in visible}
    # Pages the role may not open stay registered, hidden, so their URL says so instead of
    # "page not found"; their code never runs (see below).
    for spec in ALL_SPECS:
        if spec.path not in shown:
            denied[_url_path(spec.path)] = spec.title_key
            hidden.append(nav_page(spec.path, title=tr(spec.title_key), url_path=_url_path(spec.path),
                                   visibility="hidden"))
    ordered = {k: sections[k] for k in (tr(s) for s in SECTIONS) if k in sections}
    if hidden:
        ordered.setdefault(next(iter(ordered), ""), []).extend(hidden)
    navigation = st.navigation(ordered, expanded=True)

# A shared link opened before signing in, on a freshly started server, is served by the page file
# itself (see ui.auth.guard_page); once signed in, go on to that page with the link's parameters.
wanted = st.session_state.pop(auth.AFTER_LOGIN, None)
if user is not None and wanted and wanted in {s.path for s in visible}:
    st.switch_page(wanted, query_params=st.query_params.to_dict())

phone.styles()
st.sidebar.caption(tr("app.title"))
language_switch()
auth.sidebar_account()

if user is None:
    preload.element_code()  # the overview's element code reaches the browser while the person types

try:
    if user is None:
        # The login page itself runs as a page (its widgets keep their identity across reruns);
        # any other URL shows the same form in place of the page.
        if navigation.url_path == "":
            navigation.run()
        else:
            auth.login_form()
    elif navigation.url_path in denied:
        auth.show_denied(denied[navigation.url_path])
    else:
        with auth.passed_gate(user):  # the page's guard_page need not look the session up again
            navigation.run()
except Exception:  # never a stack trace on screen; the log keeps it for the administrator
    log.exception("page failed: %s (lang=%s)", navigation.title, lang())
    st.error(tr("app.unexpected_error"))

if user is not None:
    data.freeze_heap()
# Once per process, after the first page has gone out (usually the sign-in form): the background
# warm-up, so the first person to sign in finds the overview ready.
data.warm_up()
