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


def test_overlapping_commits_each_count(engine) -> None:  # noqa: ANN001
    # Four writers commit at overlapping times (a sheet accepted while a registry edit and two
    # admin changes are saved): the counter moves by four, not one.
    import threading
    import time

    with db.session_scope(engine) as s:
        db.bump_data_version(s)
    start = db.data_version(engine)
    gate = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            gate.wait()
            with db.session_scope(engine) as s:
                db.bump_data_version(s)
                time.sleep(0.15)  # the rest of the write's transaction: all four overlap here
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert errors == []
    assert db.data_version(engine) == start + 4


def test_first_bump_of_a_new_database_inserts_the_counter_once(engine) -> None:  # noqa: ANN001
    with db.session_scope(engine) as s:
        db.bump_data_version(s)
        db.bump_data_version(s)  # twice in one transaction: the row it just made, locked and counted
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


def test_the_app_role_runs_the_app_but_cannot_touch_the_audit_trail(engine) -> None:
    """README's PostgreSQL roles: the owner migrates and grants (`python -m data_access.db upgrade
    --grant-to ROLE`); the app's role, no superuser and owner of nothing, signs people in and writes,
    but can neither change audit rows nor switch off the triggers that protect them."""
    import uuid

    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from data_access import users
    from sample_data.generate import generate

    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    role = f"t_app_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        schema = conn.dialect.default_schema_name
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
    try:
        generate(engine)  # the owner's data (the sample stands in for a county's)
        url = engine.url.render_as_string(hide_password=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DATABASE_SCHEMA", schema)
            assert db.main(["upgrade", "--database-url", url, "--grant-to", role]) == 0
        # The app connects as the role (trust auth here: the superuser's connection switches to it).
        app = create_engine(url, connect_args={"options": f"-csearch_path={schema} -crole={role}"})
        with app.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == role
        db.upgrade_schema(app)  # what the app does at start: nothing to migrate, so it may
        assert users.authenticate(app, "leader", "wrong-pass-1", client="10.0.0.9").error == "auth.err.wrong_credentials"
        with db.session_scope(app) as s:
            assert s.scalar(select(m.AuditEntry.detail).order_by(m.AuditEntry.id.desc())).startswith("wrong password")
        for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET detail = 'x'", "TRUNCATE audit_log",
                    "ALTER TABLE audit_log DISABLE TRIGGER ALL", "DROP TRIGGER audit_log_append_only ON audit_log",
                    "DROP TABLE audit_log"):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                with app.begin() as conn:
                    conn.execute(text(sql))
        app.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_sure_writes_take_turns_on_sqlite_only(engine) -> None:  # noqa: ANN001
    """db.write_turn: on SQLite one sure-to-write transaction of the process at a time (the others
    queue on a lock instead of sleeping in SQLite's busy handler); elsewhere it never waits."""
    import threading
    import time

    from data_access.db import write_turn

    inside, order = threading.Event(), []

    def first() -> None:
        with write_turn(engine):
            order.append("first in")
            inside.set()
            time.sleep(0.2)
            order.append("first out")

    worker = threading.Thread(target=first)
    worker.start()
    inside.wait(5)
    with write_turn(engine):
        order.append("second in")
    worker.join()
    if engine.dialect.name == "sqlite":
        assert order == ["first in", "first out", "second in"]
    else:
        assert order == ["first in", "second in", "first out"]
