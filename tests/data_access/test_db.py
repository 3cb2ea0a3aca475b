"""The schema is made by the migrations, matches the models, and upgrades in place."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from data_access import db
from data_access import models as m


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []


def test_upgrade_is_repeatable_and_keeps_data(engine) -> None:
    with db.session_scope(engine) as s:
        s.add(m.Department(code="x", name_zh="测试部门", name_en="Test"))
    db.upgrade_schema(engine)
    assert db.schema_is_current(engine)
    with db.session_scope(engine) as s:
        assert s.scalar(select(m.Department.name_zh).where(m.Department.code == "x")) == "测试部门"


def test_data_version_counts_writes(engine) -> None:
    assert db.data_version(engine) == 0
    with db.session_scope(engine) as s:
        db.bump_data_version(s)
    with db.session_scope(engine) as s:
        db.bump_data_version(s)
    assert db.data_version(engine) == 2


def test_failed_unit_of_work_changes_nothing(engine) -> None:
    try:
        with db.session_scope(engine) as s:
            s.add(m.Department(code="y", name_zh="甲", name_en="A"))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session_scope(engine) as s:
        assert s.scalar(select(m.Department).where(m.Department.code == "y")) is None
