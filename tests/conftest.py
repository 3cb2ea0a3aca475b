"""Database fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: TEST_POSTGRES_URL (default the local server at 127.0.0.1:5432, database test). Each test
run creates its own schema and drops it at the end, so runs never see each other's rows. When the
server cannot be reached the PostgreSQL variants are skipped and -rs prints the reason.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from data_access import db

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
ARTIFACTS = Path(__file__).parent / "_artifacts"

_pg_problem: str | None = None
_pg_checked = False


def postgres_problem() -> str | None:
    """None when PostgreSQL answers; else why not (shown as the skip reason)."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            probe.dispose()
        except Exception as exc:  # any driver or network failure means: skip, with the reason
            _pg_problem = f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _pg_problem


class _Databases:
    """Creates migrated, empty databases; tears them all down at the end of the session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.schemas: list[str] = []
        self.engines: list[Engine] = []

    def new(self, backend: str) -> Engine:
        if backend == "sqlite":
            engine = db.make_engine(f"sqlite:///{self.tmp / (uuid.uuid4().hex + '.sqlite')}")
        else:
            problem = postgres_problem()
            if problem:
                pytest.skip(problem)
            schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            self.schemas.append(schema)
            engine = db.make_engine(PG_URL, schema=schema)
        self.engines.append(engine)
        db.upgrade_schema(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if self.schemas:
            admin = create_engine(PG_URL)
            for schema in self.schemas:
                # One transaction per schema: dropping them all at once needs more locks than
                # max_locks_per_transaction allows once a run has made a few hundred tables.
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, databases: _Databases) -> Iterator[Engine]:
    """A fresh, migrated, empty database on each backend: for tests that write. Its connections
    are closed after the test (the schema stays until the end): hundreds of idle pools would
    exhaust the shared server's max_connections."""
    engine = databases.new(request.param)
    yield engine
    engine.dispose()


@pytest.fixture
def county(engine: Engine) -> Engine:
    """A fresh sample county on each backend that the test may change (modules with a shared,
    module-wide county define their own `county`)."""
    from sample_data.generate import generate

    generate(engine)
    return engine


@pytest.fixture(scope="module")
def fast_hashing() -> Iterator[None]:
    """Cheap argon2 parameters (the real ones cost ~0.1–0.5 s a hash, on purpose): a module that
    hashes passwords says `pytestmark = pytest.mark.usefixtures("fast_hashing")`."""
    from helpers import cheap_password_hashing

    with cheap_password_hashing():
        yield


_samples: dict[str, Engine] = {}


@pytest.fixture(params=BACKENDS)
def sample_engine(request: pytest.FixtureRequest, databases: _Databases) -> Engine:
    """The sample county on each backend, built once per run: for tests that only read."""
    backend = request.param
    if backend not in _samples:
        from sample_data.generate import generate

        engine = databases.new(backend)
        generate(engine)
        _samples[backend] = engine
    return _samples[backend]


@pytest.fixture
def sample_sqlite(databases: _Databases) -> Engine:
    """The sample county on SQLite only (page tests: the page code is the same on both backends)."""
    if "sqlite" not in _samples:
        from sample_data.generate import generate

        engine = databases.new("sqlite")
        generate(engine)
        _samples["sqlite"] = engine
    return _samples["sqlite"]


@contextmanager
def _app_on(engine: Engine) -> Iterator[Engine]:
    """Points the app (db.get_engine) at engine with empty Streamlit caches; restores it after."""
    import streamlit as st

    previous = db._engine
    db.set_engine(engine)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        yield engine
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        if previous is not None:
            db.set_engine(previous)


@pytest.fixture
def app_engine(sample_sqlite: Engine) -> Iterator[Engine]:
    """The app on the shared sample database, for AppTests that only read."""
    with _app_on(sample_sqlite) as engine:
        yield engine


@pytest.fixture
def empty_app(databases: _Databases) -> Iterator[Engine]:
    """The app on a migrated database without data or accounts: a new deployment before create-admin."""
    with _app_on(databases.new("sqlite")) as engine:
        yield engine


@pytest.fixture
def writable_app(databases: _Databases) -> Iterator[Engine]:
    """The app on a sample county of its own, for page tests that write (sign-in attempts, admin
    and registry edits). SQLite only: the page code is the same on both backends."""
    from helpers import cheap_password_hashing
    from sample_data.generate import generate

    with cheap_password_hashing():
        engine = databases.new("sqlite")
        generate(engine)
        with _app_on(engine):
            yield engine


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

