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
