"""HTTP routes beside the Streamlit app (mounted by serve.py through st.App): password sign-in and
sign-out with the session cookie, and the health check a proxy or supervisor asks.

Why routes and not the Streamlit page: a script run talks to the browser over a websocket and
cannot set a cookie, and a cookie a page script could set would be readable by page scripts. The
sign-in form on the page (ui/auth.py) is a plain HTML form posting here; the answer sets an HttpOnly,
SameSite=Strict cookie (Secure over HTTPS) holding a random session id and sends the browser back to
the link it came from, query parameters and all. The app reads the cookie on every run
(st.context.cookies) and asks the database who it belongs to (data_access.user_sessions).

Cross-site requests: the cookie is SameSite=Strict, and both POST routes also refuse a request whose
Origin (or, lacking it, Referer) is not this server (SESSION_ALLOWED_ORIGINS adds others, e.g. when a
proxy rewrites the Host header).
"""
from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from data_access import db, user_sessions, users

log = logging.getLogger("dashboard.serving")

COOKIE = user_sessions.COOKIE_NAME
SIGN_IN_PATH = "/session/sign-in"
SIGN_OUT_PATH = "/session/sign-out"
HEALTH_PATH = "/healthz"
# Query parameters the routes add to the page's URL to say how a sign-in went (ui/auth.py reads and
# removes them). Only these codes exist: a crafted link cannot put other text on the page.
RESULT_PARAM, WAIT_PARAM = "_signin", "_wait"
RESULT_CODES = {
    "auth.err.wrong_credentials": "wrong",
    "auth.err.locked": "locked",
    "auth.err.now_locked": "now_locked",
    "auth.err.disabled": "disabled",
    "auth.err.busy": "busy",
}
MAX_USERNAME, MAX_PASSWORD = 200, 1024  # longer is not a real sign-in; never hash megabytes
HEALTH_TIMEOUT = 5.0


# ---------------------------------------------------------------- helpers

def _base_path() -> str:
    """server.baseUrlPath, as "" or "/prefix" (the cookie and redirects live under it)."""
    try:
        from streamlit import config

        base = (config.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:
        base = ""
    return f"/{base}" if base else ""


def _default_port(scheme: str) -> str:
    return "443" if scheme in ("https", "wss") else "80"


def _netloc(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    port = str(parts.port) if parts.port else _default_port(parts.scheme)
    return f"{parts.hostname.lower()}:{port}"


def same_origin(request: Request) -> bool:
    """The request came from a page of this server: Origin (else Referer) names the Host it was
    sent to, or an origin listed in SESSION_ALLOWED_ORIGINS. A request with neither is refused."""
    source = request.headers.get("origin")
    if not source or source == "null":
        source = request.headers.get("referer")
    if not source:
        return False
    seen = _netloc(source)
    if seen is None:
        return False
    host = request.headers.get("host", "")
    expected = {_netloc(f"{request.url.scheme}://{host}")}
    # Behind a TLS proxy the app may see http while the browser says https: the host and port count.
    expected.add(_netloc(f"{'https' if request.url.scheme == 'http' else 'http'}://{host}"))
    for extra in os.environ.get("SESSION_ALLOWED_ORIGINS", "").split(","):
        if extra.strip():
            expected.add(_netloc(extra.strip()))
    return seen in expected


def safe_next(raw: object) -> str:
    """Where to send the browser back: a path on this server (never another site), without the
    result parameters of an earlier attempt."""
    base = _base_path()
    value = raw if isinstance(raw, str) else ""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return f"{base}/"
    parts = urlsplit(value)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in (RESULT_PARAM, WAIT_PARAM)]
    path = parts.path if parts.path.startswith(base + "/") or parts.path == base else f"{base}/"
    return path + (f"?{urlencode(query)}" if query else "")


def _with_result(url: str, code: str, wait: int | None = None) -> str:
    extra = {RESULT_PARAM: code}
    if wait:
        extra[WAIT_PARAM] = str(int(wait))
    return url + ("&" if "?" in url else "?") + urlencode(extra)


def cookie_secure(request: Request) -> bool:
    """Secure when the browser talks HTTPS (directly, or to the proxy in front: uvicorn takes
    X-Forwarded-Proto from a trusted proxy, FORWARDED_ALLOW_IPS); SESSION_COOKIE_SECURE=1 forces it."""
    return request.url.scheme == "https" or os.environ.get("SESSION_COOKIE_SECURE") == "1"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    # No Max-Age: the cookie ends with the browser; the server ends the session earlier when idle
    # or past its lifetime (security.idle_minutes, security.session_hours).
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request),
                        path=_base_path() or "/")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=cookie_secure(request),
                           path=_base_path() or "/")


def _refused() -> Response:
    return PlainTextResponse("请从本平台的页面登录或退出。/ Please sign in or out from this platform's own page.",
                             status_code=403)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


# ---------------------------------------------------------------- routes

async def sign_in(request: Request) -> Response:
    """POST username, password, next: the sign-in form of the page. Success: the cookie, and back to
    `next`. Failure: back to `next` with the reason (_signin=...), nothing else changes."""
    if not same_origin(request):
        return _refused()
    try:
        form = await request.form(max_files=0, max_fields=10)
    except Exception:
        return _refused()
    target = safe_next(form.get("next"))
    username = form.get("username") if isinstance(form.get("username"), str) else ""
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    if not username.strip() or not password:
        return RedirectResponse(_with_result(target, "empty"), status_code=303)
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return RedirectResponse(_with_result(target, "wrong"), status_code=303)
    try:
        result = await run_in_threadpool(users.authenticate, db.get_engine(), username, password,
                                         client=client_address(request), start_session=True)
    except Exception:
        log.exception("sign-in failed")
        return RedirectResponse(_with_result(target, "error"), status_code=303)
    if not result.ok or not result.token:
        code = RESULT_CODES.get(result.error or "", "wrong")
        return RedirectResponse(_with_result(target, code, result.values.get("minutes")), status_code=303)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, result.token)
    return response


async def sign_out(request: Request) -> Response:
    """POST from the page's sign-out button: the session ends in the database, the cookie goes."""
    if not same_origin(request):
        return _refused()
    try:
        form = await request.form(max_files=0, max_fields=10)
    except Exception:
        return _refused()
    token = request.cookies.get(COOKIE)
    if token:
        try:
            await run_in_threadpool(_end_session, token)
        except Exception:  # the cookie goes anyway; the log keeps why the row could not be ended
            log.exception("sign-out could not end the session")
    target = safe_next(form.get("next"))
    response = RedirectResponse(_with_result(target, "signed_out"), status_code=303)
    clear_session_cookie(response, request)
    return response


def _end_session(token: str) -> None:
    engine = db.get_engine()
    actor = users.session_actor(engine, token)
    if actor is not None:
        users.sign_out(engine, actor, token=token)


_heads: set[str] | None = None


def _check_database() -> tuple[bool, str]:
    """The database answers and its schema is the one this code expects."""
    global _heads
    if _heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(db.MIGRATIONS))
        _heads = set(ScriptDirectory.from_config(cfg).get_heads())
    with db.get_engine().connect() as conn:
        current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    if current != _heads:
        return False, "schema not current"
    return True, "ok"


async def healthz(request: Request) -> Response:
    """200 when the database answers (within HEALTH_TIMEOUT seconds) with the expected schema, else
    503: what nginx, systemd or a monitoring script asks before sending people here."""
    try:
        ok, detail = await asyncio.wait_for(run_in_threadpool(_check_database), HEALTH_TIMEOUT)
    except asyncio.TimeoutError:
        ok, detail = False, "database timeout"
    except Exception as exc:  # unreachable, wrong credentials, no schema: all mean "not ready"
        log.warning("health check: %s", exc)
        ok, detail = False, f"database unreachable: {type(exc).__name__}"
    return JSONResponse({"status": "ok" if ok else "unavailable", "database": detail},
                        status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


INSTALLED = False  # set once routes() has been mounted: the sign-in page warns without them


def routes() -> list[Route]:
    global INSTALLED
    INSTALLED = True
    base = _base_path()
    return [
        Route(base + SIGN_IN_PATH, sign_in, methods=["POST"]),
        Route(base + SIGN_OUT_PATH, sign_out, methods=["POST"]),
        Route(base + HEALTH_PATH, healthz, methods=["GET", "HEAD"]),
    ]
