"""The signed-in user for pages, and the sign-in gate app.py runs on every click.

Contract every page uses: st.session_state["user"] holds a dict with
id, username, display_name, role, department_id, department_code.
Tests may pre-set it (tests/helpers.signed_in); a missing last-activity stamp counts as "now".
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
import streamlit as st

from data_access import db, users
from data_access.access import Actor
from data_access.db import session_scope
from ui.state import tr

log = logging.getLogger("dashboard.auth")

USER_KEY = "user"
ACTIVITY_KEY = "last_activity"   # time.time() of the last click
NOTICE_KEY = "auth_notice"       # (catalogue key, values) shown once on the login page


def current_user() -> dict | None:
    return st.session_state.get(USER_KEY)


def current_actor() -> Actor | None:
    user = current_user()
    if not user:
        return None
    return Actor(user_id=user.get("id"), username=user["username"], role=user["role"],
                 department_id=user.get("department_id"))


def current_role() -> str | None:
    user = current_user()
    return user["role"] if user else None


@st.cache_data(show_spinner=False, ttl=60)
def security_settings() -> dict[str, int]:
    with session_scope() as s:
        return users.security_settings(s)


def _clear(notice: tuple[str, dict] | None) -> None:
    for key in (USER_KEY, ACTIVITY_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


# --- the county's unified identity platform (optional: an [auth] section in .streamlit/secrets.toml)

SSO_REFUSED_KEY = "sso_refused"  # (catalogue key, values): the platform's user has no account here


def sso_provider() -> str | None:
    """None when no identity platform is configured; "" for the one provider of a flat [auth]
    section; else the name of the first [auth.<name>] provider."""
    try:
        from streamlit.auth_util import get_secrets_auth_section

        section = get_secrets_auth_section()
    except Exception:  # no or unreadable secrets: password sign-in only
        return None
    if not section:
        return None
    if section.get("client_id"):
        return ""
    names = [k for k, v in section.items() if hasattr(v, "get")]
    return names[0] if names else None


def sso_claims() -> dict | None:
    """Who the identity platform says the browser's user is, or None."""
    try:
        return st.user.to_dict() if st.user.is_logged_in else None
    except Exception:
        return None


def _sso_sign_in() -> dict | None:
    if sso_provider() is None or st.session_state.get(SSO_REFUSED_KEY):
        return None
    claims = sso_claims()
    if not claims:
        return None
    result = users.authenticate_identity(db.get_engine(), claims)
    if not result.ok:
        st.session_state[SSO_REFUSED_KEY] = (result.error, result.values)
        return None
    st.session_state[USER_KEY] = result.user
    st.session_state[ACTIVITY_KEY] = time.time()
    return result.user


def _end_sso(user: dict | None) -> None:
    """Leave the identity platform too, else its cookie would sign the browser straight back in."""
    if user and user.get("sso") and sso_provider() is not None:
        st.logout()


def enforce_session(now: float | None = None) -> dict | None:
    """Run before the page: sign in whom the identity platform vouches for, expire an idle
    session, drop a user the admin disabled meanwhile, and stamp this click. Returns the user
    still signed in, or None."""
    user = current_user()
    if not user:
        return _sso_sign_in()
    now = now if now is not None else time.time()
    idle = security_settings()["security.idle_minutes"]
    last = st.session_state.get(ACTIVITY_KEY)
    if isinstance(last, (int, float)) and now - last > idle * 60:
        try:
            users.sign_out(db.get_engine(), current_actor(), reason="expired")
        except Exception:  # the audit row is best effort here; the session ends either way
            log.exception("could not record the expired session")
        _clear(("auth.expired", dict(minutes=idle)))
        _end_sso(user)
        return None
    if user.get("id") is not None:
        fresh = users.current_state(db.get_engine(), user["id"])
        if fresh is None:
            _clear(("auth.account_gone", {}))
            return None
        # Role or department changed by an admin: the new scope applies from this click on.
        changed = {k: fresh[k] for k in ("role", "department_id", "department_code", "display_name")
                   if user.get(k) != fresh[k]}
        must_change = fresh["must_change_password"] and not user.get("sso")
        if changed or user.get("must_change_password") != must_change:
            user = {**user, **changed, "must_change_password": must_change}
            st.session_state[USER_KEY] = user
    st.session_state[ACTIVITY_KEY] = now
    return user


def client_address() -> str | None:
    """The browser's network address as the server sees it (behind the proxy: X-Forwarded-For from
    the proxy only, see README). None when unknown."""
    try:
        return st.context.ip_address
    except Exception:
        return None


def sign_in(username: str, password: str) -> users.SignIn:
    result = users.authenticate(db.get_engine(), username, password, client=client_address())
    if result.ok:
        st.session_state[USER_KEY] = result.user
        st.session_state[ACTIVITY_KEY] = time.time()
        st.session_state.pop(NOTICE_KEY, None)
    return result


def sign_out() -> None:
    user = current_user()
    try:
        users.sign_out(db.get_engine(), current_actor())
    except Exception:
        log.exception("could not record the sign-out")
    _clear(("auth.signed_out", {}))
    _end_sso(user)


def take_notice() -> tuple[str, dict] | None:
    return st.session_state.pop(NOTICE_KEY, None)


def show_denied(title_key: str) -> None:
    """What a signed-in user sees at the URL of a page their role may not open: a clear sentence,
    never the page itself (its code does not run) and never an exception."""
    st.title(tr(title_key))
    st.warning(tr("auth.page_denied", role=tr(f"role.{current_role()}")), icon=":material/lock:")
    st.page_link(home_path(), label=tr("auth.go_home"), icon=":material/home:")


def login_form() -> None:
    """The sign-in page (also shown at any page's URL before signing in)."""
    from ui import data
    from ui.frame import sample_banner

    st.title(tr("app.title"))
    sample_banner()
    notice = take_notice()
    if notice:
        key, values = notice
        if key == "auth.signed_out":
            st.info(tr(key, **values))
        else:
            st.warning(tr(key, **values))
    left, _ = st.columns([2, 3])
    with left:
        st.subheader(tr("auth.login.title"))
        with st.form("login", enter_to_submit=True):
            username = st.text_input(tr("auth.username"), key="login_username", autocomplete="username")
            password = st.text_input(tr("auth.password"), type="password", key="login_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button(tr("auth.submit"), type="primary", width="stretch")
        if submitted:
            if not username.strip() or not password:
                st.error(tr("auth.err.empty"))
            else:
                result = sign_in(username, password)
                if result.ok:
                    if _page_run_without_app():
                        # Let app.py build the role's navigation; it then opens the page that was
                        # asked for (AFTER_LOGIN), with the link's query parameters kept.
                        st.switch_page("app.py", query_params=st.query_params.to_dict())
                    st.rerun()
                st.error(tr(result.error, **result.values))
        st.caption(tr("auth.login.caption"))
        _sso_choice()
        if data.is_sample_database():
            st.caption(tr("auth.demo_hint"))
        elif not data.has_accounts():
            st.info(tr("auth.no_accounts", command=CREATE_ADMIN), icon=":material/person_add:")


def _sso_choice() -> None:
    """With an identity platform configured: its button, or why its user cannot enter here."""
    provider = sso_provider()
    if provider is None:
        return
    refused = st.session_state.get(SSO_REFUSED_KEY)
    if refused:
        key, values = refused
        st.error(tr(key, **values), icon=":material/badge:")
        if st.button(tr("auth.sso.logout"), key="sso_logout", width="stretch"):
            st.session_state.pop(SSO_REFUSED_KEY, None)
            st.logout()
        return
    st.caption(tr("auth.sso.or"))
    if st.button(tr("auth.sso.login"), key="sso_login", icon=":material/badge:", width="stretch"):
        st.login(provider or None)


def _page_run_without_app() -> bool:
    """True while Streamlit runs pages/<name>.py directly (v1 multipage mode, see guard_page)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later Streamlit without the v1 mode
        return False
    return bool(getattr(PagesManager, "uses_pages_directory", False))


AFTER_LOGIN = "after_login_page"
CREATE_ADMIN = ".venv/bin/python -m data_access.users create-admin --username USERNAME"


def guard_page(path: str) -> None:
    """First line of a protected page. app.py already keeps pages from roles that may not see them,
    but Streamlit runs pages/<name>.py directly, without app.py, while a process still treats the
    pages/ folder as a v1 multipage app (the first request after the server starts, and every
    AppTest run). So the page checks for itself: signed in, not expired, role allowed."""
    from ui.navigation import page_specs, pages_for

    user = enforce_session()
    if not user:
        st.session_state[AFTER_LOGIN] = f"pages/{Path(path).stem}.py"
        login_form()
        st.stop()
    stem = Path(path).stem
    if stem != "account" and user.get("must_change_password"):
        st.warning(tr("auth.must_change"))
        st.page_link("pages/account.py", label=tr("auth.change_password"), icon=":material/key:")
        st.stop()
    if stem not in {Path(s.path).stem for s in pages_for(user["role"])}:
        spec = next((s for s in page_specs() if Path(s.path).stem == stem), None)
        show_denied(spec.title_key if spec else "access.page_denied")
        st.stop()


def home_path() -> str:
    from ui.navigation import pages_for

    user = current_user() or {}
    if user.get("must_change_password"):
        return "pages/account.py"
    specs = pages_for(current_role())
    default = next((s for s in specs if s.default), specs[0] if specs else None)
    return default.path if default else "pages/account.py"


def sidebar_account() -> None:
    user = current_user()
    if not user:
        return
    with st.sidebar:
        st.divider()
        st.caption(tr("auth.signed_in_as", name=user.get("display_name") or user["username"],
                      role=tr(f"role.{user['role']}")))
        st.page_link("pages/account.py", label=tr("auth.change_password"), icon=":material/key:")
        if st.button(tr("auth.sign_out"), icon=":material/logout:", key="auth_sign_out"):
            sign_out()
            st.rerun()
