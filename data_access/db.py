"""Engine, sessions and schema upgrade for the reporting database.

SQLite (a file under var/) by default; DATABASE_URL switches to PostgreSQL, e.g.
postgresql+psycopg://user@host:5432/dbname . DATABASE_SCHEMA picks a PostgreSQL schema
(the tests give every run its own).
"""
from __future__ import annotations

import os
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
    """Call inside the transaction of any write that changes figures, targets or the registry."""
    from data_access.models import Setting

    row = session.get(Setting, DATA_VERSION_KEY)
    if row is None:
        session.add(Setting(key=DATA_VERSION_KEY, value=1))
    else:
        row.value = int(row.value or 0) + 1
