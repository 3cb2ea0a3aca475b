"""Password sign-ins that last: the session store behind the sign-in cookie.

A successful password sign-in (users.authenticate with start_session=True) opens a row here and
hands back a random token once; the browser keeps it in an HttpOnly cookie (serving/routes.py) and
the app looks it up on every script run (ui/auth.py). Only the token's SHA-256 is stored, so the
table (or a backup of it) cannot be turned back into a cookie. Because the store is the database,
every app process serving it knows every session: a reload, a second tab or another process behind
the proxy all find the same one.

A session ends for good (revoked_at set) on sign-out, on the user's password change (their other
sessions), on an administrator's reset or disabling (all of them), when idle longer than
`security.idle_minutes`, and after `security.session_hours` whatever the activity. Nothing here
checks a role: holding the token is what a session is; the writes that revoke someone else's
sessions are permission-checked in data_access.users.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data_access import models as m

# The cookie that carries the token (serving/routes.py sets it, ui/auth.py reads it).
COOKIE_NAME = "dash_session"
# last_seen is written at most this often per session: a click costs a read, not a write, and the
# idle limit (minutes) is still kept to within a minute.
TOUCH_SECONDS = 60
# Ended sessions are kept this long (who was signed in when, next to the audit trail), then purged.
KEEP_ENDED = dt.timedelta(days=30)
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _plausible(token: str | None) -> bool:
    # A cookie is whatever the browser sends: only a token of our own shape is looked up.
    return bool(token) and 20 <= len(token) <= 100 and token.replace("-", "").replace("_", "").isalnum()


def start(session: Session, user_id: int, now: dt.datetime, cfg: dict[str, int], client: str | None = None) -> str:
    """Open a session for `user_id` in the caller's transaction; returns the token (shown once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(m.UserSession(token_hash=token_hash(token), user_id=user_id, created_at=now, last_seen=now,
                              expires_at=now + dt.timedelta(hours=cfg["security.session_hours"]),
                              client=(client or None) and client[:100]))
    # Housekeeping on the way: sessions that ended long ago go.
    session.execute(delete(m.UserSession).where(m.UserSession.expires_at < now - KEEP_ENDED))
    return token


@dataclass
class Resolved:
    """What a cookie's token stands for now."""

    user: dict[str, Any] | None = None     # the user as the database has it (users.user_dict)
    ended: str | None = None               # why not: unknown / sign_out / idle / expired /
                                           # password_changed / password_reset / disabled
    idle_minutes: int = 0
    session_id: int | None = None
    just_ended: bool = False               # ended by this look-up (idle / past its lifetime / disabled)


def resolve(session: Session, token: str | None, now: dt.datetime, cfg: dict[str, int]) -> Resolved:
    """The signed-in user behind `token`, or why there is none. An idle session found here is ended
    (revoked_reason "idle") and reported once as "idle"; afterwards as "ended" like any other."""
    from data_access.users import user_dict

    idle = cfg["security.idle_minutes"]
    if not _plausible(token):
        return Resolved(ended="unknown", idle_minutes=idle)
    row = session.scalar(select(m.UserSession).where(m.UserSession.token_hash == token_hash(token)))
    if row is None:
        return Resolved(ended="unknown", idle_minutes=idle)
    if row.revoked_at is not None:
        return Resolved(ended=row.revoked_reason or "sign_out", idle_minutes=idle, session_id=row.id)
    user = session.get(m.User, row.user_id)
    if user is None or not user.is_active:
        _end(session, row, now, "disabled")
        return Resolved(ended="disabled", idle_minutes=idle, session_id=row.id, just_ended=True)
    if now >= row.expires_at:
        _end(session, row, now, "expired")
        return Resolved(ended="expired", idle_minutes=idle, session_id=row.id, just_ended=True)
    if now - row.last_seen > dt.timedelta(minutes=idle):
        _end(session, row, now, "idle")
        return Resolved(ended="idle", idle_minutes=idle, session_id=row.id, just_ended=True)
    if (now - row.last_seen).total_seconds() >= TOUCH_SECONDS:
        row.last_seen = now
    return Resolved(user=user_dict(user), idle_minutes=idle, session_id=row.id)


def _end(session: Session, row: m.UserSession, now: dt.datetime, reason: str) -> None:
    row.revoked_at, row.revoked_reason = now, reason


def end(session: Session, token: str | None, now: dt.datetime, reason: str = "sign_out") -> int | None:
    """End the session of `token` (sign-out); returns its user's id, None if there was none."""
    if not _plausible(token):
        return None
    row = session.scalar(select(m.UserSession).where(m.UserSession.token_hash == token_hash(token)))
    if row is None:
        return None
    if row.revoked_at is None:
        _end(session, row, now, reason)
    return row.user_id


def end_all(session: Session, user_id: int, now: dt.datetime, reason: str, keep_token: str | None = None) -> int:
    """End every live session of a user (but the one of `keep_token`); returns how many ended."""
    stmt = (update(m.UserSession)
            .where(m.UserSession.user_id == user_id, m.UserSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason))
    if keep_token:
        stmt = stmt.where(m.UserSession.token_hash != token_hash(keep_token))
    return session.execute(stmt).rowcount or 0


def user_of_token(session: Session, token: str | None) -> int | None:
    """The user id a token was issued to (live or not)."""
    if not _plausible(token):
        return None
    return session.scalar(select(m.UserSession.user_id).where(m.UserSession.token_hash == token_hash(token)))


def live_sessions(session: Session, user_id: int, now: dt.datetime) -> int:
    """How many sessions of the user are live (not ended, not past their lifetime)."""
    return session.scalar(select(func.count()).select_from(m.UserSession).where(
        m.UserSession.user_id == user_id, m.UserSession.revoked_at.is_(None), m.UserSession.expires_at > now)) or 0
