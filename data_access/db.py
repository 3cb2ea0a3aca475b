"""Engine, sessions and schema upgrade for the reporting database.

SQLite (a file under var/) by default; DATABASE_URL switches to PostgreSQL, e.g.
postgresql+psycopg://user@host:5432/dbname . DATABASE_SCHEMA picks a PostgreSQL schema
(the tests give every run its own).
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "dashboard.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def make_engine(url: str | None = None, schema: str | None = None) -> Engine:
    url = url or database_url()
    schema = schema if schema is not None else os.environ.get("DATABASE_SCHEMA")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # WAL lets the app read while an upload commits.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    connect_args = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """The process-wide engine for DATABASE_URL (created once)."""
    global _engine, _factory
    if _engine is None:
        _engine = make_engine()
        _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: Engine) -> None:
    """Point the process at another engine (tests, CLI with --database-url)."""
    global _engine, _factory
    _engine = engine
    _factory = sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: one unit of work."""
    if engine is None:
        get_engine()
        factory = _factory
    else:
        factory = sessionmaker(engine, expire_on_commit=False)
    assert factory is not None
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_sqlite_writes = threading.Lock()


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    """Around a transaction that is sure to write, on SQLite: one such transaction of this process at
    a time, queued on a lock that hands over at once. SQLite lets one writer in; the others sleep in
    its busy handler (1, 2, 5 ... 25 ms, longer each time) and, while the writer waits for the
    interpreter between its statements, keep finding the file locked: twenty sign-ins at once spent
    up to half a second there (bench/bench_crowd.py, issue 18). Other databases lock rows: nothing."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _sqlite_writes:
        yield


def upgrade_schema(engine: Engine | None = None) -> None:
    """Create or upgrade the schema through the Alembic migrations (the same path as a deployment)."""
    from alembic import command
    from alembic.config import Config

    engine = engine or get_engine()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        # "heads": parallel feature branches of the migration tree all apply.
        command.upgrade(cfg, "heads")


def schema_is_current(engine: Engine | None = None) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    engine = engine or get_engine()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def is_empty(engine: Engine | None = None) -> bool:
    engine = engine or get_engine()
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT COUNT(*) FROM regions")).scalar_one() == 0
        except Exception:
            return True


DATA_VERSION_KEY = "data_version"


def data_version(engine: Engine | None = None) -> int:
    """A counter every write bumps; caches key on it, so an accepted sheet shows at once everywhere."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        try:
            raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": DATA_VERSION_KEY}).scalar()
        except Exception:
            return 0
    if raw is None:
        return 0
    import json

    return int(json.loads(raw) if isinstance(raw, str) else raw)


def bump_data_version(session: Session) -> None:
    """Call inside the transaction of any write that changes figures, targets or the registry.

    One UPDATE that adds 1 in the database, not a read in Python and a write of n + 1: two
    overlapping commits would both read n and both write n + 1 (on PostgreSQL the second UPDATE waits
    for the first and then re-evaluates value + 1 on the committed row), and a page would keep the
    figures it cached under n + 1 from before the second write. The value is JSON (the settings
    table), so the arithmetic is spelled per database."""
    from sqlalchemy.exc import IntegrityError

    from data_access.models import Setting

    if session.get_bind().dialect.name == "postgresql":
        bump = text("UPDATE settings SET value = to_json(COALESCE((value #>> '{}')::bigint, 0) + 1) WHERE key = :k")
    else:  # SQLite keeps JSON as text: '41' -> '42'
        bump = text("UPDATE settings SET value = CAST(COALESCE(CAST(value AS INTEGER), 0) + 1 AS TEXT) WHERE key = :k")
    if session.execute(bump, {"k": DATA_VERSION_KEY}).rowcount:
        _expire_counter(session)
        return
    try:
        with session.begin_nested():  # the first write of a new database: one inserts, another counts on
            session.add(Setting(key=DATA_VERSION_KEY, value=1))
    except IntegrityError:
        session.execute(bump, {"k": DATA_VERSION_KEY})
    _expire_counter(session)


def _expire_counter(session: Session) -> None:
    """A Setting row of the counter the session holds is stale after the UPDATE: read it again."""
    from data_access.models import Setting

    row = session.identity_map.get(session.identity_key(Setting, DATA_VERSION_KEY))
    if row is not None:
        session.expire(row)


# ---------------------------------------------------------------- deployment: owner and app roles
# On PostgreSQL the app runs as a role that owns nothing and is no superuser: it may read and write
# rows, only append to the audit trail, and cannot drop the triggers that keep the trail
# append-only (only the owner could). The owner role runs the migrations:
#     python -m data_access.db upgrade --grant-to dashboard_app      (as the owner)

def app_grants(engine: Engine, role: str) -> list[str]:
    """The GRANT statements that let `role` run the app on this database's schema, and no more."""
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", role):
        raise ValueError(f"not a plain role name: {role!r}")
    with engine.connect() as conn:
        schema = conn.dialect.default_schema_name
    return [
        f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {role}',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}',
        # The audit trail: read and append only (the triggers refuse the rest even to the owner's grants).
        f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}".audit_log FROM {role}',
        # The schema version: the app only checks it; the owner upgrades.
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{schema}".alembic_version FROM {role}',
    ]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m data_access.db",
                                     description="数据库结构升级 / Upgrade the database schema")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="run the migrations (as the owner role on PostgreSQL)")
    up.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/dashboard.sqlite")
    up.add_argument("--grant-to", default=None, metavar="ROLE",
                    help="PostgreSQL: then grant the app's role what it needs on every table, and no more")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    upgrade_schema(engine)
    print("数据库结构已是最新 / The schema is up to date.")
    if args.grant_to:
        if engine.dialect.name != "postgresql":
            print("--grant-to 仅用于 PostgreSQL / --grant-to is for PostgreSQL only.")
            return 2
        with engine.begin() as conn:
            for statement in app_grants(engine, args.grant_to):
                conn.execute(text(statement))
        print(f"已授权 {args.grant_to} / Granted to {args.grant_to}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
