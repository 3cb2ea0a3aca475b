"""The session store behind the sign-in cookie (data_access.user_sessions and its users.* callers),
on SQLite and PostgreSQL: what a token resolves to, idle and lifetime expiry, and every way a
session ends (sign-out, password change, reset, disabling). Read back from the database."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import Engine, func, select

from data_access import models as m
from data_access import user_sessions, users
from data_access.access import Actor, PermissionDenied
from data_access.db import make_engine, session_scope

T0 = dt.datetime(2026, 11, 23, 9, 0)
CFG = dict(users.SECURITY_DEFAULTS)  # idle 30 minutes, lifetime 12 hours

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def accounts(engine: Engine) -> Engine:
    users.seed_demo_users(engine)  # admin, leader, display (no departments: no liaisons)
    return engine


def _id(engine: Engine, username: str) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(m.User.id).where(m.User.username == username))


def _actor(engine: Engine, username: str) -> Actor:
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        return Actor(u.id, u.username, u.role, u.department_id)


def _start(engine: Engine, username: str, at: dt.datetime = T0) -> str:
    with session_scope(engine) as s:
        return user_sessions.start(s, _id(engine, username), at, CFG, client="10.1.2.3")


def _resolve(engine: Engine, token: str | None, at: dt.datetime) -> user_sessions.Resolved:
    with session_scope(engine) as s:
        return user_sessions.resolve(s, token, at, CFG)


def _rows(engine: Engine) -> list[m.UserSession]:
    with session_scope(engine) as s:
        rows = list(s.scalars(select(m.UserSession).order_by(m.UserSession.id)))
        for r in rows:
            s.expunge(r)
        return rows


def _audit(engine: Engine, action: str) -> list[tuple[str, str | None]]:
    with session_scope(engine) as s:
        return list(s.execute(select(m.AuditEntry.username, m.AuditEntry.detail)
                              .where(m.AuditEntry.action == action).order_by(m.AuditEntry.id)))


def test_a_token_resolves_to_its_user_and_only_its_hash_is_stored(accounts: Engine) -> None:
    token = _start(accounts, "leader")
    resolved = _resolve(accounts, token, T0 + dt.timedelta(minutes=1))
    assert resolved.user["username"] == "leader" and resolved.user["role"] == "leader" and resolved.ended is None
    (row,) = _rows(accounts)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(row, c.name) for c in m.UserSession.__table__.columns])
    assert (row.created_at, row.client, row.revoked_at) == (T0, "10.1.2.3", None)
    assert row.expires_at == T0 + dt.timedelta(hours=12)
    # Random and long: two sign-ins of the same user get unrelated tokens.
    other = _start(accounts, "leader")
    assert other != token and len(token) >= 40


@pytest.mark.parametrize("cookie", [None, "", "x", "a" * 43, "'; DROP TABLE users; --", "é" * 43, "a" * 5000])
def test_anything_else_the_browser_sends_is_nobody(accounts: Engine, cookie: str | None) -> None:
    _start(accounts, "leader")
    resolved = _resolve(accounts, cookie, T0)
    assert resolved.user is None and resolved.ended == "unknown"


def test_idle_expiry_is_enforced_by_the_server_and_activity_keeps_it_alive(accounts: Engine) -> None:
    token = _start(accounts, "leader")
    # A click every 20 minutes for an hour: alive throughout (idle limit 30).
    for minutes in (20, 40, 60, 80):
        assert _resolve(accounts, token, T0 + dt.timedelta(minutes=minutes)).user is not None
    assert _rows(accounts)[0].last_seen == T0 + dt.timedelta(minutes=80)
    # Then 31 minutes without a click: ended, for good, with the reason.
    late = _resolve(accounts, token, T0 + dt.timedelta(minutes=111))
    assert late.user is None and late.ended == "idle" and late.just_ended and late.idle_minutes == 30
    again = _resolve(accounts, token, T0 + dt.timedelta(minutes=112))
    assert again.user is None and again.ended == "idle" and not again.just_ended
    row = _rows(accounts)[0]
    assert (row.revoked_reason, row.revoked_at) == ("idle", T0 + dt.timedelta(minutes=111))


def test_last_seen_is_written_at_most_once_a_minute(accounts: Engine) -> None:
    token = _start(accounts, "leader")
    _resolve(accounts, token, T0 + dt.timedelta(seconds=30))
    assert _rows(accounts)[0].last_seen == T0
    _resolve(accounts, token, T0 + dt.timedelta(seconds=61))
    assert _rows(accounts)[0].last_seen == T0 + dt.timedelta(seconds=61)


def test_a_session_ends_after_its_lifetime_however_active(accounts: Engine) -> None:
    token = _start(accounts, "leader")
    at = T0
    while at < T0 + dt.timedelta(hours=12) - dt.timedelta(minutes=10):
        at += dt.timedelta(minutes=10)
        assert _resolve(accounts, token, at).user is not None
    over = _resolve(accounts, token, T0 + dt.timedelta(hours=12))
    assert over.user is None and over.ended == "expired"


def test_session_user_audits_an_expiry_once(accounts: Engine) -> None:
    token = _start(accounts, "display")
    later = T0 + dt.timedelta(minutes=45)
    assert users.session_user(accounts, token, now=later).ended == "idle"
    assert users.session_user(accounts, token, now=later).ended == "idle"
    assert _audit(accounts, "auth.session_expired") == [("display", "idle")]


def test_sign_out_ends_only_that_session_and_is_audited(accounts: Engine) -> None:
    phone, desk = _start(accounts, "leader"), _start(accounts, "leader")
    users.sign_out(accounts, _actor(accounts, "leader"), token=phone, now=T0 + dt.timedelta(minutes=2))
    assert _resolve(accounts, phone, T0 + dt.timedelta(minutes=3)).ended == "sign_out"
    assert _resolve(accounts, desk, T0 + dt.timedelta(minutes=3)).user["username"] == "leader"
    assert [u for u, _ in _audit(accounts, "auth.sign_out")] == ["leader"]


def test_nobody_ends_someone_elses_session_with_their_own_sign_out(accounts: Engine) -> None:
    leader = _start(accounts, "leader")
    users.sign_out(accounts, _actor(accounts, "display"), token=leader)
    assert _resolve(accounts, leader, T0 + dt.timedelta(minutes=1)).user["username"] == "leader"
    with pytest.raises(PermissionDenied):
        users.sign_out(accounts, None, token=leader)
    assert _resolve(accounts, leader, T0 + dt.timedelta(minutes=2)).user is not None


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(accounts: Engine) -> None:
    here, other_pc, phone = (_start(accounts, "leader", dt.datetime.now()) for _ in range(3))
    admins = _start(accounts, "admin", dt.datetime.now())
    users.change_password(accounts, _actor(accounts, "leader"), users.DEMO_PASSWORD, "New-pass-2026",
                          "New-pass-2026", keep_token=here)
    now = dt.datetime.now() + dt.timedelta(seconds=1)
    assert _resolve(accounts, here, now).user["username"] == "leader"
    assert _resolve(accounts, other_pc, now).ended == "password_changed"
    assert _resolve(accounts, phone, now).ended == "password_changed"
    assert _resolve(accounts, admins, now).user["username"] == "admin"  # another account: untouched
    assert _audit(accounts, "user.password_changed") == [("leader", "other sessions ended: 2")]


def test_a_refused_password_change_ends_nothing(accounts: Engine) -> None:
    from data_access.admin import InvalidInput

    here, other = _start(accounts, "leader", dt.datetime.now()), _start(accounts, "leader", dt.datetime.now())
    with pytest.raises(InvalidInput):
        users.change_password(accounts, _actor(accounts, "leader"), "wrong-old-pass", "New-pass-2026",
                              "New-pass-2026", keep_token=here)
    assert all(r.revoked_at is None for r in _rows(accounts))
    assert _resolve(accounts, other, dt.datetime.now()).user is not None


def test_reset_and_disabling_end_every_session_of_the_account(accounts: Engine) -> None:
    admin = _actor(accounts, "admin")
    leader_id, display_id = _id(accounts, "leader"), _id(accounts, "display")
    leader_tokens = [_start(accounts, "leader", dt.datetime.now()) for _ in range(2)]
    display_token = _start(accounts, "display", dt.datetime.now())
    users.reset_password(accounts, admin, leader_id, "Temp-pass-77")
    users.set_active(accounts, admin, display_id, False)
    now = dt.datetime.now() + dt.timedelta(seconds=1)
    assert {_resolve(accounts, t, now).ended for t in leader_tokens} == {"password_reset"}
    assert _resolve(accounts, display_token, now).ended == "disabled"
    # Enabling the account again does not bring an ended session back.
    users.set_active(accounts, admin, display_id, True)
    assert _resolve(accounts, display_token, now).ended == "disabled"
    assert _audit(accounts, "user.disable") == [("admin", "sessions ended: 1")]


def test_an_account_disabled_behind_the_apps_back_is_refused(accounts: Engine) -> None:
    token = _start(accounts, "leader")
    with session_scope(accounts) as s:
        s.get(m.User, _id(accounts, "leader")).is_active = False
    assert _resolve(accounts, token, T0 + dt.timedelta(minutes=1)).ended == "disabled"


def test_a_role_changed_by_an_admin_applies_on_the_next_look_up(accounts: Engine) -> None:
    token = _start(accounts, "leader", dt.datetime.now())
    users.update_user(accounts, _actor(accounts, "admin"), _id(accounts, "leader"), display_name="改名",
                      role="display", department_id=None)
    user = _resolve(accounts, token, dt.datetime.now()).user
    assert (user["role"], user["display_name"]) == ("display", "改名")


def test_sessions_that_ended_long_ago_are_purged(accounts: Engine) -> None:
    old = _start(accounts, "leader", T0 - dt.timedelta(days=40))
    recent = _start(accounts, "leader", T0 - dt.timedelta(days=2))
    _start(accounts, "admin", T0)
    hashes = {r.token_hash for r in _rows(accounts)}
    assert user_sessions.token_hash(old) not in hashes and user_sessions.token_hash(recent) in hashes


def test_a_password_sign_in_opens_a_session_in_its_transaction(accounts: Engine) -> None:
    result = users.authenticate(accounts, "leader", users.DEMO_PASSWORD, client="10.9.8.7", start_session=True)
    assert result.ok and result.token
    (row,) = _rows(accounts)
    assert row.client == "10.9.8.7" and row.user_id == _id(accounts, "leader")
    assert users.session_user(accounts, result.token).user["username"] == "leader"
    # A wrong password, an unknown name and a disabled account open none.
    assert not users.authenticate(accounts, "leader", "wrong-pass", start_session=True).ok
    assert not users.authenticate(accounts, "nobody", "wrong-pass", start_session=True).ok
    users.set_active(accounts, _actor(accounts, "admin"), _id(accounts, "display"), False)
    refused = users.authenticate(accounts, "display", users.DEMO_PASSWORD, start_session=True)
    assert not refused.ok and refused.token is None
    with session_scope(accounts) as s:
        assert s.scalar(select(func.count()).select_from(m.UserSession)) == 1
    # Without start_session (the CLI, tests): no session.
    assert users.authenticate(accounts, "admin", users.DEMO_PASSWORD).token is None


def test_a_session_opened_through_one_engine_is_valid_through_another(accounts: Engine) -> None:
    """Two app processes on one database each have their own engine and pool: the store is the
    database, so what one process opened the other sees, and an end on one is an end on both."""
    second = make_engine(accounts.url.render_as_string(hide_password=False),
                         schema=_schema_of(accounts))
    try:
        token = users.authenticate(accounts, "leader", users.DEMO_PASSWORD, start_session=True).token
        assert users.session_user(second, token).user["username"] == "leader"
        users.sign_out(second, _actor(second, "leader"), token=token)
        assert users.session_user(accounts, token).ended == "sign_out"
    finally:
        second.dispose()


def _schema_of(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.dialect.default_schema_name
