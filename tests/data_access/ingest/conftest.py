"""Fixtures for the ingest tests: workbooks made with openpyxl and zip tricks, a writable sample
database per backend. Helpers live in ingest_helpers.py (this directory is put on sys.path)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))

from ingest_helpers import health_values, template_bytes  # noqa: E402


@pytest.fixture
def good_health(sample_engine: Engine) -> bytes:
    """The health template for 2026Q3, filled with plausible figures (no problems)."""
    return template_bytes(sample_engine, values=health_values(sample_engine))


_writable: dict[str, Engine] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def writable(request: pytest.FixtureRequest, databases) -> Iterator[Engine]:  # noqa: ANN001
    """A sample county this module may write to (one per backend per run). Tests use distinct
    department/quarter pairs so their order does not matter."""
    backend = request.param
    if backend not in _writable:
        from sample_data.generate import generate

        engine = databases.new(backend)
        generate(engine)
        _writable[backend] = engine
    yield _writable[backend]
