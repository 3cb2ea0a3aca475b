"""Checks shared by the page tests that write (the writable_app fixture is in conftest.py)."""
from __future__ import annotations


from sqlalchemy import Engine, func, select

from data_access import models as m
from data_access.db import session_scope


def audit_actions(engine: Engine) -> list[tuple[str | None, str]]:
    with session_scope(engine) as s:
        return [(u, a) for u, a in s.execute(select(m.AuditEntry.username, m.AuditEntry.action)
                                              .order_by(m.AuditEntry.id))]


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))
