"""The HTTP routes beside the app (serving/routes.py), on SQLite and PostgreSQL: sign-in sets an
HttpOnly, SameSite=Strict cookie (Secure over HTTPS) and goes back to the link it came from; a
failure goes back with its reason and changes nothing but the throttle's count; a cross-site post
is refused before anything happens; sign-out ends the session and removes the cookie; /healthz
says whether the database answers."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from data_access import db, users
from data_access import models as m
from data_access.db import session_scope
from serving import routes as r

pytestmark = pytest.mark.usefixtures("fast_hashing")
SITE = "http://testserver"


@contextmanager
def _serving(engine: Engine) -> Iterator[Engine]:
    previous = db._engine
    db.set_engine(engine)
    try:
        yield engine
    finally:
        if previous is not None:
            db.set_engine(previous)


@pytest.fixture
def served(engine: Engine) -> Iterator[Engine]:
    users.seed_demo_users(engine)
    with _serving(engine):
        yield engine


def client(base_url: str = SITE) -> TestClient:
    return TestClient(Starlette(routes=r.routes()), base_url=base_url, follow_redirects=False)


def post_sign_in(c: TestClient, username: str, password: str, next_url: str = "/", origin: str | None = SITE,
                 **headers: str):
    if origin is not None:
        headers["origin"] = origin
    return c.post(r.SIGN_IN_PATH, data=dict(username=username, password=password, next=next_url), headers=headers)


def set_cookie(response) -> SimpleCookie:  # noqa: ANN001
    jar = SimpleCookie()
    for value in response.headers.get_list("set-cookie"):
        jar.load(value)
    return jar


def _sessions(engine: Engine) -> list[m.UserSession]:
    with session_scope(engine) as s:
        rows = list(s.scalars(select(m.UserSession)))
        for row in rows:
            s.expunge(row)
        return rows


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_sign_in_sets_an_httponly_strict_cookie_and_goes_back_to_the_link(served: Engine) -> None:
    link = "/township?period=2026Q3&indicator=smd_managed&township=990101005&lang=en"
    answer = post_sign_in(client(), "leader", users.DEMO_PASSWORD, next_url=link)
    assert answer.status_code == 303 and answer.headers["location"] == link
    raw = answer.headers["set-cookie"]
    cookie = set_cookie(answer)[r.COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert not cookie["secure"] and "max-age" not in raw.lower()      # plain http here: not Secure
    (row,) = _sessions(served)
    assert row.token_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert row.client == "testclient"
    assert users.session_user(served, cookie.value).user["username"] == "leader"


def test_over_https_the_cookie_is_secure(served: Engine) -> None:
    answer = post_sign_in(client("https://testserver"), "leader", users.DEMO_PASSWORD,
                          origin="https://testserver")
    assert answer.status_code == 303 and set_cookie(answer)[r.COOKIE]["secure"] is True


@pytest.mark.parametrize("username,password,code", [
    ("leader", "wrong-password", "wrong"),
    ("nobody-here", "wrong-password", "wrong"),   # an unknown name answers exactly like a real one
    ("  ", "whatever", "empty"),
    ("leader", "", "empty"),
    ("leader", "x" * 5000, "wrong"),               # never hashed
])
def test_a_failed_sign_in_goes_back_with_its_reason_and_no_cookie(served: Engine, username: str, password: str,
                                                                   code: str) -> None:
    answer = post_sign_in(client(), username, password, next_url="/map?lang=en")
    assert answer.status_code == 303 and not set_cookie(answer)
    target = urlsplit(answer.headers["location"])
    assert target.path == "/map" and parse_qs(target.query) == {"lang": ["en"], "_signin": [code]}
    assert _sessions(served) == []


def test_lockout_through_the_route_is_the_throttle(served: Engine) -> None:
    c = client()
    codes = []
    for _ in range(6):
        answer = post_sign_in(c, "liaison_x", "wrong-password")
        codes.append(parse_qs(urlsplit(answer.headers["location"]).query))
    assert [q["_signin"][0] for q in codes] == ["wrong"] * 4 + ["now_locked", "locked"]
    assert codes[4]["_wait"] == ["15"] and codes[5]["_wait"] == ["15"]
    # The right password of a locked name does not get in either.
    answer = post_sign_in(c, "leader", users.DEMO_PASSWORD)
    assert set_cookie(answer)  # another name: fine
    for _ in range(5):
        post_sign_in(c, "display", "wrong-password")
    locked = post_sign_in(c, "display", users.DEMO_PASSWORD)
    assert "_signin=locked" in locked.headers["location"] and not set_cookie(locked)


@pytest.mark.parametrize("headers", [
    {},                                                           # neither Origin nor Referer
    {"origin": "http://evil.example"},
    {"origin": "null"},                                           # a sandboxed frame, a data: page
    {"origin": "http://testserver.evil.example"},
    {"referer": "http://evil.example/testserver/"},
    {"origin": "http://testserver:8080"},                         # another port is another origin
])
def test_a_cross_site_post_is_refused_before_anything_happens(served: Engine, headers: dict) -> None:
    audits = _count(served, m.AuditEntry)
    answer = client().post(r.SIGN_IN_PATH, data=dict(username="leader", password=users.DEMO_PASSWORD),
                           headers=headers)
    assert answer.status_code == 403 and not set_cookie(answer)
    assert "请从本平台的页面登录" in answer.text
    assert _sessions(served) == [] and _count(served, m.AuditEntry) == audits
    assert _count(served, m.SignInThrottle) == 0


def test_a_referer_of_this_site_stands_in_for_a_missing_origin(served: Engine) -> None:
    answer = post_sign_in(client(), "leader", users.DEMO_PASSWORD, origin=None, referer=f"{SITE}/map")
    assert answer.status_code == 303 and set_cookie(answer)


def test_allowed_origins_for_a_proxy_that_rewrites_the_host(served: Engine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SESSION_ALLOWED_ORIGINS", "https://dashboard.county.intranet")
    answer = post_sign_in(client(), "leader", users.DEMO_PASSWORD, origin="https://dashboard.county.intranet")
    assert answer.status_code == 303 and set_cookie(answer)


@pytest.mark.parametrize("raw,expected", [
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
    ("/township?period=2026Q3&_signin=wrong&_wait=15&lang=en", "/township?period=2026Q3&lang=en"),
    ("/indicator?indicator=smd_managed&township=990101005", "/indicator?indicator=smd_managed&township=990101005"),
    ("/map?name=%E5%92%8C%E5%AE%89", "/map?name=%E5%92%8C%E5%AE%89"),
])
def test_the_way_back_stays_on_this_server(raw: str, expected: str) -> None:
    assert r.safe_next(raw) == expected


def test_sign_out_ends_the_session_and_removes_the_cookie(served: Engine) -> None:
    c = client()
    token = set_cookie(post_sign_in(c, "leader", users.DEMO_PASSWORD))[r.COOKIE].value
    c.cookies.set(r.COOKIE, token)
    answer = c.post(r.SIGN_OUT_PATH, data={"next": "/?lang=en"}, headers={"origin": SITE})
    assert answer.status_code == 303 and answer.headers["location"] == "/?lang=en&_signin=signed_out"
    gone = set_cookie(answer)[r.COOKIE]
    assert gone.value == "" and gone["max-age"] == "0" and gone["httponly"] is True
    assert users.session_user(served, token).ended == "sign_out"
    with session_scope(served) as s:
        assert s.scalar(select(m.AuditEntry.username).where(m.AuditEntry.action == "auth.sign_out")) == "leader"


def test_a_cross_site_sign_out_is_refused_and_the_session_lives(served: Engine) -> None:
    c = client()
    token = set_cookie(post_sign_in(c, "leader", users.DEMO_PASSWORD))[r.COOKIE].value
    c.cookies.set(r.COOKIE, token)
    answer = c.post(r.SIGN_OUT_PATH, data={}, headers={"origin": "http://evil.example"})
    assert answer.status_code == 403
    assert users.session_user(served, token).user["username"] == "leader"


def test_sign_out_without_a_session_just_clears_the_cookie(served: Engine) -> None:
    c = client()
    c.cookies.set(r.COOKIE, "stale-or-forged")
    answer = c.post(r.SIGN_OUT_PATH, data={}, headers={"origin": SITE})
    assert answer.status_code == 303 and set_cookie(answer)[r.COOKIE].value == ""


def test_get_is_not_a_sign_in(served: Engine) -> None:
    assert client().get(r.SIGN_IN_PATH, params=dict(username="leader", password=users.DEMO_PASSWORD)).status_code == 405


def test_healthz_answers_200_when_the_database_does(served: Engine) -> None:
    answer = client().get(r.HEALTH_PATH)
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}
    assert client().head(r.HEALTH_PATH).status_code == 200


def test_healthz_answers_503_when_the_database_does_not(tmp_path) -> None:  # noqa: ANN001
    down = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with _serving(down):
        answer = client().get(r.HEALTH_PATH)
    assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
    assert "unreachable" in answer.json()["database"]
    # Reachable but not migrated (a fresh, empty file): not ready either.
    empty = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with _serving(empty):
        answer = client().get(r.HEALTH_PATH)
    assert answer.status_code == 503
