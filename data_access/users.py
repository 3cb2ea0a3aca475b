"""Staff accounts. Passwords are stored only as argon2 hashes."""
from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from data_access import models as m
from data_access.db import session_scope

_hasher = PasswordHasher()

# Demo accounts of the sample database, for local trial only (README lists them).
DEMO_PASSWORD = "demo2026"
DEMO_ACCOUNTS: list[tuple[str, str, str, str | None]] = [
    # username, display name, role, department code
    ("admin", "系统管理员（演示）", "admin", None),
    ("leader", "领导小组成员（演示）", "leader", None),
    ("display", "会议大屏（演示）", "display", None),
]
DEMO_LIAISON_DEPARTMENTS = ("zongzhi", "health", "education", "justice", "petition", "union", "propaganda")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def seed_demo_users(engine: Engine) -> None:
    """One demo user per role, and a liaison for every department that reports quarterly."""
    with session_scope(engine) as s:
        departments = {d.code: d for d in s.scalars(select(m.Department))}
        existing = set(s.scalars(select(m.User.username)))
        password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
        accounts = list(DEMO_ACCOUNTS) + [
            (f"liaison_{code}", f"{departments[code].name_zh}联络员（演示）", "liaison", code)
            for code in DEMO_LIAISON_DEPARTMENTS if code in departments]
        for username, display_name, role, dept in accounts:
            if username in existing:
                continue
            s.add(m.User(username=username, display_name=display_name, password_hash=password_hash, role=role,
                         department_id=departments[dept].id if dept else None, is_active=True,
                         failed_attempts=0, created_at=dt.datetime.now()))
