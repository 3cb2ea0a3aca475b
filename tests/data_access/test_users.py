"""Sign-in, lockout, passwords and user management, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import logging

import pytest

from sqlalchemy import Engine, func, select

from data_access import models as m
from data_access import users
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import session_scope

NOW = dt.datetime(2026, 11, 23, 9, 0)

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _user(engine: Engine, username: str) -> m.User:
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        s.expunge(u)
        return u


def _audit(engine: Engine, action: str | None = None) -> list[m.AuditEntry]:
    with session_scope(engine) as s:
        stmt = select(m.AuditEntry).order_by(m.AuditEntry.id)
        if action:
            stmt = stmt.where(m.AuditEntry.action == action)
        rows = list(s.scalars(stmt))
        for r in rows:
            s.expunge(r)
        return rows


def _throttle(engine: Engine, key: str) -> m.SignInThrottle:
    with session_scope(engine) as s:
        row = s.get(m.SignInThrottle, key)
        s.expunge(row)
        return row


def _actor(engine: Engine, username: str) -> Actor:
    u = _user(engine, username)
    return Actor(u.id, u.username, u.role, u.department_id)


def test_demo_users_one_per_role_and_a_liaison_per_reporting_department(county: Engine) -> None:
    with session_scope(county) as s:
        rows = {u.username: u for u in s.scalars(select(m.User))}
        reporting = set(s.scalars(select(m.Department.code).where(m.Department.reports_quarterly.is_(True))))
        assert {rows[n].role for n in ("admin", "leader", "display")} == {"admin", "leader", "display"}
        assert {u.department.code for u in rows.values() if u.role == "liaison"} == reporting
        # argon2, never the password itself
        assert all(u.password_hash.startswith("$argon2") and users.DEMO_PASSWORD not in u.password_hash
                   for u in rows.values())


def test_sign_in_returns_the_session_contract_and_is_audited(county: Engine) -> None:
    result = users.authenticate(county, "liaison_health", users.DEMO_PASSWORD, now=NOW)
    assert result.ok and result.error is None
    health = _user(county, "liaison_health")
    assert result.user == dict(id=health.id, username="liaison_health", display_name=health.display_name,
                               role="liaison", department_id=health.department_id, department_code="health",
                               must_change_password=False)
    rows = _audit(county, "auth.sign_in")
    assert [(r.username, r.user_id) for r in rows] == [("liaison_health", health.id)]


def test_an_older_costlier_hash_signs_in_and_is_remade_with_the_cheaper_parameters(county: Engine,
                                                                                    monkeypatch) -> None:
    """Hashes are OWASP's Argon2id configuration (19 MiB, 2 passes, 1 lane), no weaker; a hash stored
    with argon2-cffi's default (64 MiB, 3 passes, 4 lanes: five times the CPU at every sign-in) still
    signs in and is stored again with the app's parameters."""
    from argon2 import PasswordHasher
    from argon2.low_level import Type
    from argon2 import extract_parameters

    real = PasswordHasher(time_cost=users.HASH_TIME_COST, memory_cost=users.HASH_MEMORY_KIB,
                          parallelism=users.HASH_LANES)
    monkeypatch.setattr(users, "_hasher", real)  # this test: the real parameters, not the tests' cheap ones
    assert users.HASH_MEMORY_KIB >= 19 * 1024 and users.HASH_TIME_COST >= 2
    with session_scope(county) as s:
        u = s.scalar(select(m.User).where(m.User.username == "leader"))
        u.password_hash = PasswordHasher().hash(users.DEMO_PASSWORD)  # the parameters used until now
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW).ok
    stored = extract_parameters(_user(county, "leader").password_hash)
    assert (stored.type, stored.memory_cost, stored.time_cost, stored.parallelism) == (Type.ID, 19 * 1024, 2, 1)
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW).ok
    assert not users.authenticate(county, "leader", "wrong-pass", now=NOW).ok


def test_wrong_password_and_unknown_user_are_refused_alike_and_audited(county: Engine, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bad = users.authenticate(county, "leader", "guess-123", now=NOW)
    unknown = users.authenticate(county, "nobody", "guess-123", now=NOW)
    assert not bad.ok and not unknown.ok
    assert bad.error == unknown.error == "auth.err.wrong_credentials"
    failed = _audit(county, "auth.sign_in_failed")
    assert [r.username for r in failed] == ["leader", None]
    assert "nobody" in failed[1].detail
    assert _throttle(county, "name:leader").failures == 1 and _throttle(county, "name:nobody").failures == 1
    # The password typed never lands in the audit trail or the log.
    assert all("guess-123" not in f"{r.detail}{r.before}{r.after}" for r in _audit(county))
    assert "guess-123" not in caplog.text


def test_five_failures_lock_for_fifteen_minutes_even_with_the_right_password(county: Engine) -> None:
    for i in range(4):
        assert users.authenticate(county, "leader", "wrong-pass", now=NOW).error == "auth.err.wrong_credentials"
    fifth = users.authenticate(county, "leader", "wrong-pass", now=NOW)
    assert fifth.error == "auth.err.now_locked" and fifth.values == {"minutes": 15}
    assert _throttle(county, "name:leader").blocked_until == NOW + dt.timedelta(minutes=15)
    # Locked: the right password is refused too, with the minutes left.
    during = users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW + dt.timedelta(minutes=10))
    assert during.error == "auth.err.locked" and during.values == {"minutes": 5}
    after = users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW + dt.timedelta(minutes=15, seconds=1))
    assert after.ok
    row = _throttle(county, "name:leader")
    assert row.blocked_until is None and row.failures == 0
    assert [e.detail for e in _audit(county, "auth.sign_in_failed")][-1] == "must wait 5 min"


def test_lock_settings_come_from_the_settings_table(county: Engine) -> None:
    with session_scope(county) as s:
        s.add(m.Setting(key="security.lock_after", value=2))
        s.add(m.Setting(key="security.lock_minutes", value=60))
    users.authenticate(county, "display", "x-wrong-1", now=NOW)
    res = users.authenticate(county, "display", "x-wrong-2", now=NOW)
    assert res.error == "auth.err.now_locked" and res.values == {"minutes": 60}


def test_a_disabled_user_cannot_sign_in(county: Engine) -> None:
    admin = _actor(county, "admin")
    users.set_active(county, admin, _user(county, "leader").id, False)
    res = users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW)
    assert not res.ok and res.error == "auth.err.disabled"
    assert users.current_state(county, _user(county, "leader").id) is None
    # A wrong password for a disabled account does not reveal that it is disabled.
    assert users.authenticate(county, "leader", "nope-nope", now=NOW).error == "auth.err.wrong_credentials"
    users.set_active(county, admin, _user(county, "leader").id, True)
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW).ok


def test_change_password(county: Engine) -> None:
    me = _actor(county, "liaison_union")
    before = _user(county, "liaison_union").password_hash
    with pytest.raises(InvalidInput) as wrong_old:
        users.change_password(county, me, "not-it-at-all", "Better-pass-1", "Better-pass-1")
    assert "当前密码不正确" in wrong_old.value.text("zh")
    with pytest.raises(InvalidInput) as short:
        users.change_password(county, me, users.DEMO_PASSWORD, "short", "short")
    assert short.value.key == "auth.err.password_short"
    with pytest.raises(InvalidInput) as mismatch:
        users.change_password(county, me, users.DEMO_PASSWORD, "Better-pass-1", "Better-pass-2")
    assert mismatch.value.key == "auth.err.password_mismatch"
    assert _user(county, "liaison_union").password_hash == before
    users.change_password(county, me, users.DEMO_PASSWORD, "Better-pass-1", "Better-pass-1")
    assert not users.authenticate(county, "liaison_union", users.DEMO_PASSWORD, now=NOW).ok
    assert users.authenticate(county, "liaison_union", "Better-pass-1", now=NOW).ok
    changed = _audit(county, "user.password_changed")
    assert len(changed) == 1 and "Better-pass-1" not in str((changed[0].before, changed[0].after, changed[0].detail))


def test_admin_reset_unlocks_and_forces_a_change(county: Engine) -> None:
    for _ in range(5):
        users.authenticate(county, "leader", "wrong-pass", now=dt.datetime.now())
    leader = _user(county, "leader")
    assert _throttle(county, "name:leader").blocked_until is not None
    admin = _actor(county, "admin")
    users.reset_password(county, admin, leader.id, "Temp-pass-77")
    res = users.authenticate(county, "leader", "Temp-pass-77")
    assert res.ok and res.user["must_change_password"] is True
    users.change_password(county, _actor(county, "leader"), "Temp-pass-77", "Own-pass-88", "Own-pass-88")
    assert users.authenticate(county, "leader", "Own-pass-88").user["must_change_password"] is False
    with pytest.raises(PermissionDenied):
        users.reset_password(county, _actor(county, "leader"), admin.user_id, "Hijack-pass-1")


def test_create_user_validation(county: Engine) -> None:
    admin = _actor(county, "admin")
    with session_scope(county) as s:
        health_id = s.scalar(select(m.Department.id).where(m.Department.code == "health"))
        count = s.scalar(select(func.count()).select_from(m.User))
    bad = [
        (dict(username="x", role="leader"), "admin.err.username"),
        (dict(username="liaison_health", role="leader"), "admin.err.username_taken"),
        (dict(username="LIAISON_HEALTH", role="leader"), "admin.err.username_taken"),
        (dict(username="new_liaison", role="liaison"), "admin.err.liaison_department"),
        (dict(username="new_boss", role="superuser"), "admin.err.role"),
        (dict(username="new_user", role="leader", password="1234"), "auth.err.password_short"),
        (dict(username="new_user", role="leader", display_name="  "), "admin.err.required"),
    ]
    for fields, key in bad:
        args = dict(display_name="新用户", department_id=None, password="Good-pass-1") | fields
        with pytest.raises(InvalidInput) as exc:
            users.create_user(county, admin, **args)
        assert exc.value.key == key, fields
    uid = users.create_user(county, admin, username="wang.li", display_name="王丽", role="liaison",
                            department_id=health_id, password="Good-pass-1")
    with session_scope(county) as s:
        assert s.scalar(select(func.count()).select_from(m.User)) == count + 1
        new = s.get(m.User, uid)
        assert (new.role, new.department_id, new.must_change_password) == ("liaison", health_id, True)
    created = _audit(county, "user.create")
    assert len(created) == 1 and created[0].after["username"] == "wang.li" and created[0].username == "admin"
    # A leader never keeps a department: scoping looks only at liaisons.
    users.update_user(county, admin, uid, display_name="王丽", role="leader", department_id=health_id)
    assert _user(county, "wang.li").department_id is None


def test_the_last_admin_cannot_be_disabled_or_demoted(county: Engine) -> None:
    admin = _actor(county, "admin")
    with pytest.raises(InvalidInput) as own:
        users.set_active(county, admin, admin.user_id, False)
    assert own.value.key == "admin.err.self_disable"
    with pytest.raises(InvalidInput) as demote:
        users.update_user(county, admin, admin.user_id, display_name="x", role="leader", department_id=None)
    assert demote.value.key == "admin.err.self_demote"
    second = users.create_user(county, admin, username="admin2", display_name="第二管理员", role="admin",
                               department_id=None, password="Good-pass-1")
    users.set_active(county, admin, second, False)
    other = Actor(second, "admin2", "admin")
    with pytest.raises(InvalidInput) as last:
        users.set_active(county, other, admin.user_id, False)
    assert last.value.key == "admin.err.last_admin"


def test_create_admin_command(engine: Engine, monkeypatch, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # the test's own schema: the CLI opens its own engine on it
            monkeypatch.setenv("DATABASE_SCHEMA", conn.dialect.default_schema_name)
    monkeypatch.setattr("sys.stdin", io.StringIO("First-admin-9\n"))
    assert users.main(["create-admin", "--username", "chief", "--display-name", "县综治中心", "--database-url", url,
                       "--password-stdin"]) == 0
    assert "chief" in capsys.readouterr().out
    res = users.authenticate(engine, "chief", "First-admin-9")
    assert res.ok and res.user["role"] == "admin" and res.user["must_change_password"] is False
    assert _audit(engine, "user.create")[0].username == users.CLI_ACTOR.username
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert users.main(["create-admin", "--username", "chief2", "--database-url", url, "--password-stdin"]) == 2
    assert "至少" in capsys.readouterr().err


def test_identity_platform_sign_in_maps_to_the_local_account_and_its_role(county: Engine) -> None:
    admin = _actor(county, "admin")
    users.create_user(county, admin, username="zhang.wei@hean.gov.cn", display_name="张伟", role="leader",
                      department_id=None, password="Good-pass-1")
    by_name = users.authenticate_identity(county, {"preferred_username": "Liaison_Health", "sub": "x1"}, now=NOW)
    assert by_name.ok and by_name.user["username"] == "liaison_health" and by_name.user["role"] == "liaison"
    assert by_name.user["sso"] and not by_name.user["must_change_password"]
    # No preferred_username: the e-mail claim is the username.
    by_mail = users.authenticate_identity(county, {"email": "zhang.wei@hean.gov.cn", "name": "张伟"}, now=NOW)
    assert by_mail.ok and by_mail.user["role"] == "leader"
    signed = [(e.username, e.detail) for e in _audit(county, "auth.sign_in")][-2:]
    assert signed == [("liaison_health", "identity platform"), ("zhang.wei@hean.gov.cn", "identity platform")]


def test_identity_platform_users_without_an_account_here_are_refused(county: Engine) -> None:
    unknown = users.authenticate_identity(county, {"preferred_username": "stranger", "email": "s@x.cn"}, now=NOW)
    assert not unknown.ok and unknown.error == "auth.err.sso_unknown" and unknown.values == {"identity": "stranger"}
    nothing = users.authenticate_identity(county, {}, now=NOW)
    assert nothing.error == "auth.err.sso_unknown" and nothing.values == {"identity": "-"}
    target = _user(county, "leader")
    users.set_active(county, _actor(county, "admin"), target.id, False)
    disabled = users.authenticate_identity(county, {"preferred_username": "leader"}, now=NOW)
    assert not disabled.ok and disabled.error == "auth.err.disabled"
    failed = [e.detail for e in _audit(county, "auth.sign_in_failed")][-3:]
    assert failed == ["identity platform: unknown stranger", "identity platform: unknown ", "identity platform: disabled"]
