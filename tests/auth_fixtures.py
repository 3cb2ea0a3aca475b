"""Fixtures for page tests that write (sign-in attempts, admin edits): a fresh sample county per
test, so the shared read-only sample database is never changed. Import the fixture by name."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import Engine, func, select

from data_access import db
from data_access import models as m
from data_access.db import session_scope


@pytest.fixture
def writable_app(databases) -> Iterator[Engine]:  # noqa: ANN001
    """Like app_engine, on a sample county of its own (SQLite: page code is the same on both backends)."""
    import streamlit as st
    from argon2 import PasswordHasher

    from data_access import users
    from sample_data.generate import generate

    with pytest.MonkeyPatch.context() as mp:
        # Cheap argon2 parameters: the real ones are slow on purpose.
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        mp.setattr(users, "_hasher", cheap)
        mp.setattr(users, "_DUMMY_HASH", cheap.hash("not-a-password-of-anyone"))
        engine = databases.new("sqlite")
        generate(engine)
        previous = db._engine
        db.set_engine(engine)
        st.cache_data.clear()
        st.cache_resource.clear()
        yield engine
        st.cache_data.clear()
        st.cache_resource.clear()
        if previous is not None:
            db.set_engine(previous)


def audit_actions(engine: Engine) -> list[tuple[str | None, str]]:
    with session_scope(engine) as s:
        return [(u, a) for u, a in s.execute(select(m.AuditEntry.username, m.AuditEntry.action)
                                              .order_by(m.AuditEntry.id))]


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))
