"""The signed-in user for pages, and the sign-in gate app.py runs on every click.

Contract every page uses: st.session_state["user"] holds a dict with
id, username, display_name, role, department_id, department_code.

Where it comes from, on every run:
- the sign-in cookie (a password sign-in, serving/routes.py): st.context.cookies holds the session
  id, the database says whose it is and whether it still lives (data_access.user_sessions). So a
  reload, a second tab and a shared link open signed in, on any app process of the database, and an
  ended session (sign-out, idle, password change, disabling) shows the sign-in form with the reason;
- the county's identity platform (st.login / st.user), when configured;
- tests may pre-set it (tests/helpers.signed_in); a missing last-activity stamp counts as "now".
The password form itself is a plain HTML form posting to /session/sign-in: no token ever passes
through a page script or the websocket.
"""
from __future__ import annotations

import html
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode, urlsplit

import streamlit as st

from data_access import db, user_sessions, users
from data_access.access import Actor
from data_access.db import session_scope
from ui.state import lang, tr, trm

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


# ---------------------------------------------------------------- the sign-in cookie

COOKIE = user_sessions.COOKIE_NAME
DEAD_KEY = "dead_session"        # digest of a cookie found ended: its reason is shown once
ENDED_NOTICES = {                # why a cookie's session ended -> what the sign-in page says
    "idle": "auth.expired",
    "expired": "auth.session_over",
    "sign_out": "auth.signed_out",
    "password_changed": "auth.session_password_changed",
    "password_reset": "auth.session_reset",
    "disabled": "auth.account_gone",
}


def session_token() -> str | None:
    """The session id the browser sent with this connection (HttpOnly: page scripts never see it)."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (a bare script run)
        return None
    return value if isinstance(value, str) and value else None


def _cookie_user(token: str) -> dict | None:
    """The user of the cookie's session, fresh from the database; None (with the reason, once) when
    it has ended."""
    digest = user_sessions.token_hash(token)[:16]
    if st.session_state.get(DEAD_KEY) == digest:
        return None
    # The settings as read at most a minute ago (as for the idle check below): one query less on
    # every click of every session.
    resolved = users.session_user(db.get_engine(), token, cfg=security_settings())
    if resolved.user is not None:
        user = {**resolved.user, "via": "cookie"}
        st.session_state[USER_KEY] = user
        st.session_state[ACTIVITY_KEY] = time.time()
        return user
    st.session_state[DEAD_KEY] = digest
    key = ENDED_NOTICES.get(resolved.ended or "")
    values = dict(minutes=resolved.idle_minutes) if resolved.ended == "idle" else {}
    if resolved.ended == "expired":
        values = dict(hours=security_settings()["security.session_hours"])
    previous = current_user()
    if previous is None or previous.get("via") == "cookie":
        _clear((key, values) if key else None)
    return None


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
    """Run before the page: the user of the sign-in cookie's session, else whom the identity
    platform vouches for; expire an idle session, drop a user the admin disabled meanwhile, and
    stamp this click. Returns the user still signed in, or None."""
    token = session_token()
    if token:
        user = _cookie_user(token)
        if user is not None:
            return user
    user = current_user()
    if user and user.get("via") == "cookie":
        # A cookie session that is not this connection's cookie (cannot happen in a browser): out.
        _clear(None)
        user = None
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


def sign_out() -> None:
    """Sign-out of a session without the cookie (the identity platform's; tests). A password
    sign-in leaves through the sign-out form (sign_out_button), which also removes the cookie."""
    user = current_user()
    try:
        users.sign_out(db.get_engine(), current_actor(), token=session_token())
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


# What /session/sign-in answered (serving/routes.py adds ?_signin=<code>[&_wait=<minutes>]).
RESULT_PARAM, WAIT_PARAM = "_signin", "_wait"
RESULT_MESSAGES = {
    "wrong": "auth.err.wrong_credentials",
    "locked": "auth.err.locked",
    "now_locked": "auth.err.now_locked",
    "disabled": "auth.err.disabled",
    "busy": "auth.err.busy",
    "empty": "auth.err.empty",
    "error": "app.db_error",
}
SIGN_IN_ACTION, SIGN_OUT_ACTION = "session/sign-in", "session/sign-out"


def _base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _here() -> str:
    """This page's path and query string: where the sign-in sends the browser back to."""
    path = ""
    try:
        path = urlsplit(st.context.url or "").path
    except Exception:
        pass
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in (RESULT_PARAM, WAIT_PARAM)}
    return (path or f"{_base_path()}/") + (f"?{urlencode(query)}" if query else "")


def _sign_in_result() -> tuple[str, dict] | None:
    """The outcome the sign-in route reported in the URL, taken out of the URL (shown once)."""
    code = st.query_params.get(RESULT_PARAM)
    wait = st.query_params.get(WAIT_PARAM)
    for key in (RESULT_PARAM, WAIT_PARAM):
        if key in st.query_params:
            del st.query_params[key]
    if code == "signed_out":
        return "auth.signed_out", {}
    if code not in RESULT_MESSAGES:
        return None
    minutes = int(wait) if isinstance(wait, str) and wait.isdigit() else 15
    return RESULT_MESSAGES[code], dict(minutes=minutes)


# The form is plain HTML (st.html, no script): the browser posts it to the route itself, so the
# password and the new cookie never pass through a page script. Styled like Streamlit's inputs.
_FORM_CSS = """<style>
.dash-signin {display: flex; flex-direction: column; gap: .9rem; margin: .25rem 0 .5rem 0;}
.dash-signin label {display: flex; flex-direction: column; gap: .3rem; font-size: .875rem; color: #1f2933;}
.dash-signin input {font: inherit; font-size: 1rem; height: 2.6rem; padding: 0 .75rem; border-radius: .5rem;
  border: 1px solid #d0d7e2; background: #f3f6fa; color: #1f2933; box-sizing: border-box; width: 100%;}
.dash-signin input:focus {outline: none; border-color: #1f5fa8; box-shadow: 0 0 0 1px #1f5fa8;}
.dash-signin button, .dash-signout button {font: inherit; font-size: 1rem; min-height: 2.6rem; border-radius: .5rem;
  cursor: pointer; padding: .25rem .75rem;}
.dash-signin button {border: 1px solid #1f5fa8; background: #1f5fa8; color: #fff; width: 100%; margin-top: .35rem;}
.dash-signin button:hover {background: #184c87;}
.dash-signout {margin: 0;}
.dash-signout button {border: 1px solid rgba(49, 51, 63, .2); background: #fff; color: #1f2933; font-size: .9rem;
  min-height: 2.3rem;}
.dash-signout button:hover {border-color: #1f5fa8; color: #1f5fa8;}
</style>"""


def _sign_in_form_html() -> str:
    # The fields and the button carry the test ids of Streamlit's own form widgets (stTextInput,
    # stFormSubmitButton), so browser tools that sign in as a person does keep finding them.
    e = html.escape
    return (f'{_FORM_CSS}<form class="dash-signin" method="post" action="{e(_base_path())}/{SIGN_IN_ACTION}" '
            f'accept-charset="utf-8" autocomplete="on">'
            f'<label data-testid="stTextInput">{e(tr("auth.username"))}<input name="username" '
            f'autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="200"></label>'
            f'<label data-testid="stTextInput">{e(tr("auth.password"))}<input type="password" name="password" '
            f'autocomplete="current-password" maxlength="1024"></label>'
            f'<input type="hidden" name="next" value="{e(_here())}">'
            f'<div data-testid="stFormSubmitButton"><button type="submit">{e(tr("auth.submit"))}</button></div>'
            f'</form>')


def sign_out_button(key: str = "auth_sign_out") -> None:
    """Sign out: a password sign-in posts to /session/sign-out (the session ends in the database and
    the cookie goes); a platform sign-in (or a test's) leaves through st.logout."""
    user = current_user() or {}
    if user.get("via") != "cookie":
        if st.button(tr("auth.sign_out"), icon=":material/logout:", key=key):
            sign_out()
            st.rerun()
        return
    back = f"{_base_path()}/" + ("?" + urlencode({"lang": lang()}) if lang() != "zh" else "")
    e = html.escape
    st.html(f'{_FORM_CSS}<form class="dash-signout" method="post" action="{e(_base_path())}/{SIGN_OUT_ACTION}">'
            f'<input type="hidden" name="next" value="{e(back)}">'
            f'<button type="submit">{e(tr("auth.sign_out"))}</button></form>')


def routes_installed() -> bool:
    """Whether this process serves the sign-in routes (started through serve.py)."""
    import sys

    routes = sys.modules.get("serving.routes")
    return bool(routes and routes.INSTALLED)


def login_form() -> None:
    """The sign-in page (also shown at any page's URL before signing in)."""
    from ui import data
    from ui.frame import sample_banner

    st.title(tr("app.title"))
    sample_banner()
    notice = take_notice()
    result = _sign_in_result()
    if notice:
        key, values = notice
        if key == "auth.signed_out":
            st.info(tr(key, **values))
        else:
            st.warning(tr(key, **values))
    left, _ = st.columns([2, 3])
    with left:
        st.subheader(tr("auth.login.title"))
        if result:
            key, values = result
            (st.info if key == "auth.signed_out" else st.error)(tr(key, **values))
        st.html(_sign_in_form_html())
        if not routes_installed():
            st.error(tr("auth.not_served"))
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


AFTER_LOGIN = "after_login_page"
CREATE_ADMIN = ".venv/bin/python -m data_access.users create-admin --username USERNAME"


# The user app.py's gate has just let through, while app.py runs the page (navigation.run(), same
# thread, this run only): the page's own guard then need not ask the database a second time.
_gate_user: ContextVar[dict | None] = ContextVar("dashboard_gate_user", default=None)


@contextmanager
def passed_gate(user: dict) -> Iterator[None]:
    """app.py: run the page inside this, with the user enforce_session() returned for this run."""
    token = _gate_user.set(user)
    try:
        yield
    finally:
        _gate_user.reset(token)


def guard_page(path: str) -> None:
    """First line of a protected page. app.py already keeps pages from roles that may not see them,
    but Streamlit runs pages/<name>.py directly, without app.py, while a process still treats the
    pages/ folder as a v1 multipage app (the first request after the server starts, and every
    AppTest run). So the page checks for itself: signed in, not expired, role allowed. Run from
    app.py (passed_gate), the session was checked a moment ago in the same run: the role check
    stays, the second session look-up goes."""
    from ui.navigation import page_specs, pages_for

    user = _gate_user.get()
    if user is None:  # run without app.py: this is where the run starts
        from ui import data

        data.begin_run()
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
        st.caption(trm("auth.signed_in_as", name=user.get("display_name") or user["username"],
                      role=tr(f"role.{user['role']}")))
        st.page_link("pages/account.py", label=tr("auth.change_password"), icon=":material/key:")
        sign_out_button()
