"""Fixtures of the setup tests: a new county (not the sample) as the setup steps build it."""
from __future__ import annotations

import pytest
from sqlalchemy import Engine

import setup_county as sc
from data_access.access import Actor
from data_access.db import session_scope
from data_access.setup import divisions
from data_access.setup.county import put_county


@pytest.fixture
def new_county(engine: Engine) -> Engine:
    """青溪县 with its townships and villages from its division-code list (no boundaries yet)."""
    admin = Actor(None, "admin", "admin")
    with session_scope(engine) as s:
        put_county(s, admin, sc.CODE, sc.NAME)
    assert divisions.load_regions(engine, admin, sc.division_csv(), "区划.csv").ok
    return engine
