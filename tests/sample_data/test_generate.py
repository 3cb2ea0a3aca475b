"""The sample county: proportions from the seeds, deterministic, aggregates only."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select

from data_access import models as m
from data_access.db import make_engine, session_scope, upgrade_schema
from sample_data import generate as gen


def _fingerprint(engine) -> str:
    with session_scope(engine) as s:
        rows = s.execute(select(m.Observation.region_id, m.Observation.indicator_id, m.Observation.period_id,
                                m.Observation.value).order_by(m.Observation.id)).all()
        points = s.execute(select(m.ServicePoint.code, m.ServicePoint.lon, m.ServicePoint.opened_on)
                           .order_by(m.ServicePoint.id)).all()
    return hashlib.sha256(json.dumps([list(map(str, r)) for r in rows + points]).encode()).hexdigest()


def test_sample_county_shape(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        count = lambda q: s.scalar(select(func.count()).select_from(q.subquery()))  # noqa: E731
        townships = count(select(m.Region).where(m.Region.level == "township"))
        villages = count(select(m.Region).where(m.Region.level == "village"))
        schools = count(select(m.Facility).where(m.Facility.kind != "hospital"))
        hospitals = count(select(m.Facility).where(m.Facility.kind == "hospital"))
        types = set(s.scalars(select(m.ServicePoint.type).distinct()))
        indicators = count(select(m.Indicator).where(m.Indicator.is_target.is_(True)))
        ended = count(select(m.Period).where(m.Period.id.in_(select(m.Observation.period_id))))
    assert townships == 13  # 12 townships/streets and the industrial park
    assert 150 <= villages <= 210
    assert 35 <= schools <= 45 and hospitals == 5
    assert types == set(m.SERVICE_POINT_TYPES)
    assert indicators == 11
    assert ended == 8


def test_same_seed_same_data(tmp_path) -> None:
    prints = []
    for name in ("a", "b"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        upgrade_schema(engine)
        gen.generate(engine)
        prints.append(_fingerprint(engine))
    assert prints[0] == prints[1]


def test_cli_if_empty_leaves_existing_data(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert gen.main(["--database-url", url]) == 0
    before = _fingerprint(make_engine(url))
    assert gen.main(["--database-url", url, "--if-empty"]) == 0
    assert gen.main(["--database-url", url]) == 2  # refuses to add a second copy without --reset
    assert _fingerprint(make_engine(url)) == before


def _state(url: str) -> tuple[list[str], int]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        names = sorted(s.scalars(select(m.User.username)))
        regions = s.scalar(select(func.count()).select_from(m.Region))
    engine.dispose()
    return names, regions


def test_readme_real_deployment_leaves_only_the_administrator(tmp_path) -> None:
    """README's steps for a real deployment, as commands: create-admin on the county's database,
    then `make run`'s seeding step on that database. No sample county, no demo accounts."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    url = f"sqlite:///{tmp_path / 'county.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    env.pop("DATABASE_SCHEMA", None)
    made = subprocess.run([sys.executable, "-m", "data_access.users", "create-admin", "--username", "zhangsan",
                           "--display-name", "张三", "--password-stdin"], input="Zhangsan-pass-1\n", text=True,
                          cwd=root, env=env, capture_output=True)
    assert made.returncode == 0, made.stderr
    seeded = subprocess.run(["make", "--no-print-directory", "seed"], cwd=root, env=env, capture_output=True,
                            text=True)
    assert seeded.returncode == 0, seeded.stderr
    assert _state(url) == (["zhangsan"], 0)
    # Asking for the sample data explicitly (make demo's step) still leaves a database with an account alone.
    assert gen.main(["--database-url", url, "--if-empty"]) == 0
    assert gen.main(["--database-url", url]) == 2
    assert gen.main(["--database-url", url, "--reset"]) == 2
    assert _state(url) == (["zhangsan"], 0)


def test_an_empty_database_stays_empty_unless_asked(tmp_path, monkeypatch) -> None:
    """`make run` seeds only the local sample database (no DATABASE_URL); an empty county database
    stays empty (the first-run setup takes over after create-admin); `make demo` asks explicitly."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    upgrade_schema(make_engine(url))  # as the app does when it starts
    monkeypatch.setenv("DATABASE_URL", url)
    assert gen.main(["--local-sample"]) == 0
    assert _state(url) == ([], 0)
    assert gen.main(["--if-empty"]) == 0  # make demo
    names, regions = _state(url)
    assert "admin" in names and regions > 0


def test_make_run_seeds_a_new_local_sample_database_once(tmp_path, monkeypatch) -> None:
    from data_access import db, users

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(db, "DEFAULT_SQLITE", tmp_path / "var" / "dashboard.sqlite")
    local = f"sqlite:///{tmp_path / 'var' / 'dashboard.sqlite'}"
    assert gen.main(["--local-sample"]) == 0
    names, regions = _state(local)
    assert "admin" in names and "leader" in names and regions > 0
    before = _fingerprint(make_engine(local))
    assert gen.main(["--local-sample"]) == 0
    assert _fingerprint(make_engine(local)) == before
    # The local database used for real (create-admin first): never seeded.
    other = tmp_path / "var2" / "dashboard.sqlite"
    monkeypatch.setattr(db, "DEFAULT_SQLITE", other)
    engine = make_engine(f"sqlite:///{other}")
    upgrade_schema(engine)
    users.create_user(engine, users.CLI_ACTOR, username="chief", display_name="县综治中心", role="admin",
                      department_id=None, password="Chief-pass-12")
    assert gen.main(["--local-sample"]) == 0
    assert _state(f"sqlite:///{other}") == (["chief"], 0)


def test_demo_accounts_never_join_real_ones(engine) -> None:
    from data_access import users

    users.create_user(engine, users.CLI_ACTOR, username="chief", display_name="县综治中心", role="admin",
                      department_id=None, password="Chief-pass-12")
    import pytest

    with pytest.raises(gen.RealDatabase):
        gen.generate(engine)
    users.seed_demo_users(engine)
    with session_scope(engine) as s:
        assert list(s.scalars(select(m.User.username))) == ["chief"]


def test_reset_rebuilds_a_sample_database(tmp_path) -> None:
    """--reset of a sample database: everything rebuilt (the audit trail's triggers stay in place)."""
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert gen.main(["--database-url", url]) == 0
    before = _fingerprint(make_engine(url))
    assert gen.main(["--database-url", url, "--reset"]) == 0
    assert _fingerprint(make_engine(url)) == before
    from sqlalchemy import text

    with make_engine(url).connect() as conn:
        triggers = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    assert {"audit_log_no_update", "audit_log_no_delete"} <= triggers
