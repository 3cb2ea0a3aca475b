"""Staff accounts: sign-in with lockout, passwords, the admin's user management, and the
command that creates the first administrator:

    python -m data_access.users create-admin --username admin2 [--display-name 张三] [--database-url URL]

Passwords are stored only as argon2 hashes and never written to a log or the audit trail.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access import throttle, user_sessions
from data_access.access import Actor, require
from data_access.admin import InvalidInput, clean_text, row_or_refuse
from data_access.audit import record
from data_access.db import session_scope, write_turn

# Argon2id at OWASP's recommended configuration (19 MiB, 2 passes, 1 lane; Password Storage Cheat
# Sheet) rather than argon2-cffi's default (64 MiB, 3 passes, 4 lanes, RFC 9106's second choice):
# ~0.02 s of CPU a check instead of ~0.11 s. Twenty leaders signing in at once then cost a 2-core
# server ~0.4 s of hashing instead of ~2.2 s, which alone would keep them waiting over a second
# (issue 18). Online guessing is held back by data_access.throttle; these costs are for a stolen
# database. Hashes made with other parameters still verify and are re-made with these at the next
# sign-in (check_needs_rehash in authenticate).
HASH_TIME_COST, HASH_MEMORY_KIB, HASH_LANES = 2, 19 * 1024, 1
_hasher = PasswordHasher(time_cost=HASH_TIME_COST, memory_cost=HASH_MEMORY_KIB, parallelism=HASH_LANES)
# Each check's 19 MiB goes back to the system afterwards once the server has called
# data_access.memory.tune() at start-up (serve.py, app.py); importing this module changes nothing.

# Demo accounts of the sample database, for local trial only (README lists them).
DEMO_PASSWORD = "demo2026"
DEMO_ACCOUNTS: list[tuple[str, str, str, str | None]] = [
    # username, display name, role, department code
    ("admin", "系统管理员（演示）", "admin", None),
    ("leader", "领导小组成员（演示）", "leader", None),
    ("display", "会议大屏（演示）", "display", None),
]
DEMO_LIAISON_DEPARTMENTS = ("zongzhi", "health", "education", "justice", "petition", "union", "propaganda")

# Defaults; an administrator may override them in the settings table (keys below).
SECURITY_DEFAULTS = {
    "security.lock_after": 5,       # failures on a name (or a name from one client) before a wait
    "security.lock_minutes": 15,    # the first wait; it doubles with each further failure (max a day)
    "security.client_limit": 20,    # failures from one client, whatever the names, before it must wait
    "security.trusted_days": 90,    # a client that signed in as a name this recently is not held back
                                    # by other clients' failures on that name
    "security.idle_minutes": 30,
    "security.session_hours": 12,   # a password sign-in ends after this long, however active
}
PASSWORD_MIN = 8
# "@" so that an e-mail address can be the username an identity platform signs in with.
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.@\-]{2,63}$")
# The actor for the command line (the first administrator exists before anyone can sign in).
CLI_ACTOR = Actor(user_id=None, username="(命令行 / command line)", role="admin")
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")

# Each argon2 hash holds its memory_cost (19 MiB; 64 MiB for an older hash) while it runs: a process
# computes at most this many at once (one per core: more would only share the cores), so a burst of
# sign-ins waits for a slot instead of taking hundreds of megabytes.
HASH_SLOTS = max(1, int(os.environ.get("PASSWORD_HASH_SLOTS", "2")))
HASH_WAIT_SECONDS = 20.0
_hash_slots = threading.BoundedSemaphore(HASH_SLOTS)


class ServerBusy(Exception):
    """No hash slot came free in time (a flood of sign-ins): try again shortly."""


@contextmanager
def _hash_slot() -> Iterator[None]:
    if not _hash_slots.acquire(timeout=HASH_WAIT_SECONDS):
        raise ServerBusy()
    try:
        yield
    finally:
        _hash_slots.release()


def hash_password(password: str) -> str:
    with _hash_slot():
        return _hasher.hash(password)


def security_settings(session: Session) -> dict[str, int]:
    values = dict(SECURITY_DEFAULTS)
    for row in session.scalars(select(m.Setting).where(m.Setting.key.in_(list(SECURITY_DEFAULTS)))):
        try:
            values[row.key] = max(1, int(row.value))
        except (TypeError, ValueError):
            pass  # a bad setting keeps the safe default
    return values


def user_dict(user: m.User) -> dict[str, Any]:
    """The session's view of a user: the contract pages rely on (st.session_state["user"])."""
    return dict(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                department_id=user.department_id, department_code=user.department.code if user.department else None,
                must_change_password=bool(user.must_change_password))


def _actor_of(user: m.User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, department_id=user.department_id)


def _verify(password_hash: str, password: str) -> bool:
    with _hash_slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


# ---------------------------------------------------------------- sign-in

@dataclass
class SignIn:
    ok: bool
    user: dict[str, Any] | None = None
    error: str | None = None                 # catalogue key
    values: dict[str, Any] = field(default_factory=dict)
    token: str | None = None                 # the new session's token (start_session=True), once


def authenticate(engine: Engine, username: str, password: str, now: dt.datetime | None = None,
                 client: str | None = None, devices: tuple[str, ...] = (), start_session: bool = False) -> SignIn:
    """Check a sign-in from `client` (its network address; None when unknown). Every attempt leaves
    an audit row. Failures make the name, the client and the pair wait (data_access.throttle); the
    attempt is counted before the password is checked, and a waiting key costs no password hash.
    An unknown name is answered exactly like a real one. start_session: a success also opens a
    session (data_access.user_sessions) in the same transaction as its audit row; its token is in
    the result, once."""
    now = now or dt.datetime.now()
    name = (username or "").strip()
    where = f" from {client}" if client else ""
    with write_turn(engine), session_scope(engine) as s:   # every attempt is counted: a write
        cfg = security_settings(s)
        user = s.scalar(select(m.User).where(m.User.username == name)) if name else None
        actor = _actor_of(user) if user else None
        target = user.username if user else None
        verdict = throttle.admit(s, name, client, devices, now, cfg)
        if not verdict.allowed:
            record(s, actor, "auth.sign_in_failed", "user", target,
                   detail=f"must wait {verdict.wait} min{where}" + ("" if user else f", unknown username: {name[:64]}"))
            return SignIn(False, error="auth.err.locked", values=dict(minutes=verdict.wait))
        user_id, stored = (user.id, user.password_hash) if user else (None, _DUMMY_HASH)
    # The count is committed: parallel guesses each see the ones before them. Now the slow part.
    try:
        ok = _verify(stored, password or "") and user_id is not None
    except ServerBusy:
        with write_turn(engine), session_scope(engine) as s:
            throttle.forgive(s, verdict, cfg)
        return SignIn(False, error="auth.err.busy")
    with write_turn(engine), session_scope(engine) as s:   # the outcome is recorded: a write
        user = s.get(m.User, user_id) if user_id is not None else None
        if not ok or user is None:
            record(s, _actor_of(user) if user else None, "auth.sign_in_failed", "user", user.username if user else None,
                   detail=(f"wrong password{where}" if user else f"unknown username: {name[:64]}{where}"))
            if verdict.blocked_now:
                return SignIn(False, error="auth.err.now_locked", values=dict(minutes=verdict.blocked_now))
            return SignIn(False, error="auth.err.wrong_credentials")
        throttle.succeeded(s, verdict, now, cfg)
        actor = _actor_of(user)
        # Only a caller who knows the password learns that the account is disabled.
        if not user.is_active:
            record(s, actor, "auth.sign_in_failed", "user", user.username, detail=f"disabled{where}")
            return SignIn(False, error="auth.err.disabled")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        record(s, actor, "auth.sign_in", "user", user.username, detail=f"password{where}" if client else None)
        token = user_sessions.start(s, user.id, now, cfg, client) if start_session else None
        return SignIn(True, user=user_dict(user), token=token)


# Claims tried in order to find the local account of someone the identity platform signed in.
IDENTITY_CLAIMS = ("preferred_username", "email", "sub")


def authenticate_identity(engine: Engine, claims: dict[str, Any], now: dt.datetime | None = None,
                          claim_order: tuple[str, ...] = IDENTITY_CLAIMS) -> SignIn:
    """A sign-in vouched for by the county's unified identity platform (OIDC, Streamlit's st.login).
    The platform says who someone is; this database says whether they may enter and in which role:
    the local account whose username equals the first claim present (case-insensitive). Unknown,
    disabled and locked accounts are refused. Every attempt leaves an audit row."""
    now = now or dt.datetime.now()
    names = [str(claims[c]).strip() for c in claim_order if claims.get(c) and str(claims[c]).strip()]
    shown = names[0] if names else ""
    with session_scope(engine) as s:
        user = None
        for name in names:
            user = s.scalar(select(m.User).where(func.lower(m.User.username) == name.lower()))
            if user is not None:
                break
        if user is None:
            record(s, None, "auth.sign_in_failed", "user", None, detail=f"identity platform: unknown {shown[:64]}")
            return SignIn(False, error="auth.err.sso_unknown", values=dict(identity=shown or "-"))
        actor = _actor_of(user)
        if not user.is_active:
            record(s, actor, "auth.sign_in_failed", "user", user.username, detail="identity platform: disabled")
            return SignIn(False, error="auth.err.disabled")
        # Password guesses on the name do not concern the platform, which checked the person itself.
        record(s, actor, "auth.sign_in", "user", user.username, detail="identity platform")
        # The platform checked the person; a local password to change does not concern them.
        return SignIn(True, user={**user_dict(user), "must_change_password": False, "sso": True})


def sign_out(engine: Engine, actor: Actor | None, reason: str = "sign_out", token: str | None = None,
             now: dt.datetime | None = None) -> None:
    """The actor leaves (or their session expired: reason "expired"): the session of `token`, if it
    is theirs, ends for good, and the trail says so."""
    require(actor, "account.sign_out")
    now = now or dt.datetime.now()
    with session_scope(engine) as s:
        if token and user_sessions.user_of_token(s, token) == actor.user_id:
            user_sessions.end(s, token, now, "idle" if reason == "expired" else "sign_out")
        record(s, actor, "auth.session_expired" if reason == "expired" else "auth.sign_out", "user", actor.username)


def session_user(engine: Engine, token: str | None, now: dt.datetime | None = None,
                 cfg: dict[str, int] | None = None) -> user_sessions.Resolved:
    """Who the sign-in cookie's token belongs to now (data_access.user_sessions.resolve); a session
    found idle or past its lifetime is ended here, with its audit row, once. cfg: the security
    settings when the caller already holds them (the app reads them once a minute, not every click)."""
    now = now or dt.datetime.now()
    with session_scope(engine) as s:
        resolved = user_sessions.resolve(s, token, now, cfg if cfg is not None else security_settings(s))
        if resolved.just_ended and resolved.ended in ("idle", "expired"):
            row = s.get(m.UserSession, resolved.session_id)
            user = s.get(m.User, row.user_id) if row else None
            if user is not None:
                record(s, _actor_of(user), "auth.session_expired", "user", user.username, detail=resolved.ended)
        return resolved


def session_actor(engine: Engine, token: str | None) -> Actor | None:
    """The account a session token was issued to (live or ended), e.g. for its sign-out."""
    with session_scope(engine) as s:
        user_id = user_sessions.user_of_token(s, token)
        user = s.get(m.User, user_id) if user_id is not None else None
        return _actor_of(user) if user else None


def current_state(engine: Engine, user_id: int) -> dict[str, Any] | None:
    """The signed-in user as the database has it now (None if gone or disabled): a disabled
    account or a changed role takes effect on the next click, not at the next sign-in."""
    with session_scope(engine) as s:
        user = s.get(m.User, user_id)
        if user is None or not user.is_active:
            return None
        return user_dict(user)


# ---------------------------------------------------------------- passwords

def check_password_rules(password: str, username: str) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise InvalidInput("auth.err.password_short", min=PASSWORD_MIN)
    if password.strip() != password:
        raise InvalidInput("auth.err.password_spaces")
    if password.lower() == (username or "").lower() or (password.isdigit() and len(set(password)) == 1):
        raise InvalidInput("auth.err.password_weak")


def change_password(engine: Engine, actor: Actor, old_password: str, new_password: str, repeat: str,
                    keep_token: str | None = None) -> None:
    """A user changes their own password (also after an admin's reset). Their other sessions end
    (another browser, a forgotten PC): only the one of `keep_token`, where they changed it, goes on."""
    require(actor, "account.change_password")
    if actor.user_id is None:
        raise InvalidInput("admin.err.not_found")
    if new_password != repeat:
        raise InvalidInput("auth.err.password_mismatch")
    with session_scope(engine) as s:
        user = s.get(m.User, actor.user_id)
        if user is None or not user.is_active:
            raise InvalidInput("admin.err.not_found")
        if not _verify(user.password_hash, old_password or ""):
            record(s, actor, "user.password_change_failed", "user", user.username, detail="old password wrong")
            raise InvalidInput("auth.err.old_password")
        check_password_rules(new_password, user.username)
        if new_password == old_password:
            raise InvalidInput("auth.err.password_same")
        user.password_hash = hash_password(new_password)
        user.password_changed_at = dt.datetime.now()
        user.must_change_password = False
        ended = user_sessions.end_all(s, user.id, dt.datetime.now(), "password_changed", keep_token=keep_token)
        record(s, actor, "user.password_changed", "user", user.username,
               detail=f"other sessions ended: {ended}" if ended else None)


def reset_password(engine: Engine, actor: Actor, user_id: int, new_password: str) -> None:
    """An admin sets a temporary password; the user must change it at the next sign-in. Unlocks."""
    require(actor, "user.manage")
    with session_scope(engine) as s:
        user = row_or_refuse(s, m.User, user_id)
        check_password_rules(new_password, user.username)
        user.password_hash = hash_password(new_password)
        user.password_changed_at = dt.datetime.now()
        user.must_change_password = True
        throttle.lift(s, user.username)
        # Whoever holds a session of the account (the reason for a reset, often) is out.
        ended = user_sessions.end_all(s, user.id, dt.datetime.now(), "password_reset")
        record(s, actor, "user.password_reset", "user", user.username,
               detail=f"sessions ended: {ended}" if ended else None)


def unlock(engine: Engine, actor: Actor, user_id: int) -> None:
    """An admin lifts every sign-in wait on an account (guesses by someone else, or the user's own typos)."""
    require(actor, "user.manage")
    with session_scope(engine) as s:
        user = row_or_refuse(s, m.User, user_id)
        throttle.lift(s, user.username)
        record(s, actor, "user.unlock", "user", user.username)


# ---------------------------------------------------------------- user management

def _active_admins(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(m.User).where(m.User.role == "admin", m.User.is_active.is_(True)))


def _department_for(s: Session, role: str, department_id: int | None) -> int | None:
    if role not in m.ROLES:
        raise InvalidInput("admin.err.role")
    if role == "liaison":
        if department_id is None or s.get(m.Department, department_id) is None:
            raise InvalidInput("admin.err.liaison_department")
        return department_id
    return None  # only a liaison belongs to a department: scope rules look at it


def create_user(engine: Engine, actor: Actor, *, username: str, display_name: str, role: str,
                department_id: int | None, password: str) -> int:
    require(actor, "user.manage")
    name = (username or "").strip()
    if not USERNAME_RE.match(name):
        raise InvalidInput("admin.err.username", username=name)
    display = clean_text(display_name, "admin.field.display_name")
    check_password_rules(password, name)
    with session_scope(engine) as s:
        dept = _department_for(s, role, department_id)
        if s.scalar(select(m.User.id).where(func.lower(m.User.username) == name.lower())):
            raise InvalidInput("admin.err.username_taken", username=name)
        user = m.User(username=name, display_name=display, password_hash=hash_password(password), role=role,
                      department_id=dept, is_active=True, failed_attempts=0, created_at=dt.datetime.now(),
                      must_change_password=actor is not CLI_ACTOR)
        s.add(user)
        s.flush()
        record(s, actor, "user.create", "user", name,
               after=dict(username=name, display_name=display, role=role, department_id=dept))
        return user.id


def update_user(engine: Engine, actor: Actor, user_id: int, *, display_name: str, role: str,
                department_id: int | None) -> None:
    require(actor, "user.manage")
    display = clean_text(display_name, "admin.field.display_name")
    with session_scope(engine) as s:
        user = row_or_refuse(s, m.User, user_id)
        dept = _department_for(s, role, department_id)
        if user.role == "admin" and role != "admin":
            if user.id == actor.user_id:
                raise InvalidInput("admin.err.self_demote")
            if user.is_active and _active_admins(s) <= 1:
                raise InvalidInput("admin.err.last_admin")
        before = dict(display_name=user.display_name, role=user.role, department_id=user.department_id)
        after = dict(display_name=display, role=role, department_id=dept)
        if before == after:
            return
        user.display_name, user.role, user.department_id = display, role, dept
        record(s, actor, "user.update", "user", user.username, before=before, after=after)


def set_active(engine: Engine, actor: Actor, user_id: int, active: bool) -> None:
    """Disable (or re-enable) an account. Accounts are never deleted: the audit trail names them."""
    require(actor, "user.manage")
    with session_scope(engine) as s:
        user = row_or_refuse(s, m.User, user_id)
        if not active and user.id == actor.user_id:
            raise InvalidInput("admin.err.self_disable")
        if not active and user.role == "admin" and user.is_active and _active_admins(s) <= 1:
            raise InvalidInput("admin.err.last_admin")
        if bool(user.is_active) == bool(active):
            return
        user.is_active = bool(active)
        ended = 0
        if active:
            throttle.lift(s, user.username)
        else:
            ended = user_sessions.end_all(s, user.id, dt.datetime.now(), "disabled")
        record(s, actor, "user.enable" if active else "user.disable", "user", user.username,
               before=dict(is_active=not active), after=dict(is_active=bool(active)),
               detail=f"sessions ended: {ended}" if ended else None)


def list_users(session: Session, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    now = now or dt.datetime.now()
    blocked = throttle.blocked_names(session, now)
    rows = session.scalars(select(m.User).order_by(m.User.role, m.User.username))
    return [dict(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                 department_id=u.department_id, department_code=u.department.code if u.department else None,
                 department_zh=u.department.name_zh if u.department else None,
                 department_en=u.department.name_en if u.department else None,
                 is_active=bool(u.is_active), locked=throttle.normal_name(u.username) in blocked,
                 must_change_password=bool(u.must_change_password), created_at=u.created_at)
            for u in rows]


# ---------------------------------------------------------------- demo users of the sample database

def seed_demo_users(engine: Engine) -> None:
    """One demo user per role, and a liaison for every department that reports quarterly. Only into
    a database without any account: demo passwords never sit beside a real administrator."""
    with session_scope(engine) as s:
        if s.scalar(select(func.count()).select_from(m.User)):
            return
        departments = {d.code: d for d in s.scalars(select(m.Department))}
        password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
        accounts = list(DEMO_ACCOUNTS) + [
            (f"liaison_{code}", f"{departments[code].name_zh}联络员（演示）", "liaison", code)
            for code in DEMO_LIAISON_DEPARTMENTS if code in departments]
        for username, display_name, role, dept in accounts:
            s.add(m.User(username=username, display_name=display_name, password_hash=password_hash, role=role,
                         department_id=departments[dept].id if dept else None, is_active=True,
                         failed_attempts=0, created_at=dt.datetime.now()))


def has_users(engine: Engine) -> bool:
    """Whether any account exists (the sign-in page tells a new deployment to run create-admin)."""
    with session_scope(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(m.User)))


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    from data_access.db import make_engine, upgrade_schema

    parser = argparse.ArgumentParser(prog="python -m data_access.users",
                                     description="账号管理 / Account administration")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-admin", help="创建管理员账号 / create an administrator account")
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", default=None)
    create.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/dashboard.sqlite")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (scripts); otherwise it is asked twice")
    args = parser.parse_args(argv)

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        repeat = password
    else:
        password = getpass.getpass("密码 / Password: ")
        repeat = getpass.getpass("再次输入 / Repeat: ")
    if password != repeat:
        print("两次输入的密码不一致 / The passwords differ.", file=sys.stderr)
        return 2
    engine = make_engine(args.database_url)
    upgrade_schema(engine)
    try:
        create_user(engine, CLI_ACTOR, username=args.username, display_name=args.display_name or args.username,
                    role="admin", department_id=None, password=password)
    except InvalidInput as exc:
        print(f"{exc.text('zh')} / {exc.text('en')}", file=sys.stderr)
        return 2
    print(f"已创建管理员 {args.username} / Administrator {args.username} created.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
