"""Indicator computation: status rules as pure logic; roll-ups against the database on both backends."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select

from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope

T80 = ix.TargetInfo(0.80, ">=", dt.date(2026, 12, 31), 0.05, dt.date(2024, 1, 1))
T200 = ix.TargetInfo(200, ">=", dt.date(2026, 12, 31), 0.10, dt.date(2024, 1, 1))


@pytest.mark.parametrize("value,expected", [
    (0.80, ix.MET), (0.8000000001, ix.MET), (0.95, ix.MET), (0.7999, ix.NEAR), (0.75, ix.NEAR),
    (0.7499, ix.BEHIND), (0.0, ix.BEHIND), (None, ix.NO_DATA), (float("nan"), ix.NO_DATA),
])
def test_ratio_status_uses_percentage_points(value: float | None, expected: str) -> None:
    assert ix.classify(value, T80, "ratio") == expected


@pytest.mark.parametrize("value,expected", [(200, ix.MET), (180, ix.NEAR), (179, ix.BEHIND)])
def test_count_status_uses_share_of_target(value: float, expected: str) -> None:
    assert ix.classify(value, T200, "count") == expected


def test_without_target_there_is_no_status() -> None:
    assert ix.classify(0.5, None, "ratio") == ix.NO_TARGET


def test_lower_is_better_flips_the_comparison() -> None:
    cap = ix.TargetInfo(100, "<=", dt.date(2026, 12, 31), 0.10, dt.date(2024, 1, 1))
    assert ix.classify(95, cap, "count", higher_is_better=False) == ix.MET
    assert ix.classify(108, cap, "count", higher_is_better=False) == ix.NEAR
    assert ix.classify(130, cap, "count", higher_is_better=False) == ix.BEHIND


def test_year_to_date_target_is_pro_rated_by_quarter() -> None:
    annual = ix.TargetInfo(40, ">=", dt.date(2026, 12, 31), 0.10, dt.date(2024, 1, 1))
    assert ix.expected_by_period(annual, "ytd", 3) == 30
    assert ix.expected_by_period(annual, "none", 3) == 40


def _summary(engine, period_code: str) -> dict[str, ix.IndicatorStatus]:
    with session_scope(engine) as s:
        period = ix.period_by_code(s, period_code)
        return {r.code: r for r in ix.region_summary(s, period, ix.root_region(s))}


def test_county_rate_is_sum_of_numerators_over_sum_of_denominators(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q2")
        num, den, rates = s.execute(
            select(func.sum(m.Observation.numerator), func.sum(m.Observation.denominator),
                   func.avg(m.Observation.value))
            .join(m.Indicator).where(m.Indicator.code == "smd_managed", m.Observation.period_id == period.id)
        ).one()
    got = _summary(sample_engine, "2026Q2")["smd_managed"]
    assert got.numerator == num and got.denominator == den
    assert got.value == pytest.approx(num / den)
    assert got.value != pytest.approx(rates, abs=1e-9)  # not the average of township percentages


def test_room_coverage_comes_from_the_registry_at_period_end(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        end = ix.period_by_code(s, "2025Q2").end_date
        villages = list(s.scalars(select(m.Region).where(m.Region.level == "village")))
        points = list(s.scalars(select(m.ServicePoint).where(m.ServicePoint.type.in_(ix.ROOM_TYPES))))
    active = {p.region_id for p in points
              if p.opened_on and p.opened_on <= end and (p.retired_on is None or p.retired_on > end)}
    expected = sum(v.id in active for v in villages) / len(villages)
    got = _summary(sample_engine, "2025Q2")["room_coverage"]
    assert got.denominator == len(villages)
    assert got.value == pytest.approx(expected)


def test_a_department_that_has_not_reported_shows_missing_not_zero(sample_engine) -> None:
    got = _summary(sample_engine, "2026Q3")
    assert got["certified_counsellors"].value is None
    assert got["certified_counsellors"].status == ix.NO_DATA
    assert got["certified_counsellors"].previous is not None


def test_year_to_date_indicator_accumulates_within_the_year(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        q = {p.code: p.id for p in ix.periods(s)}
        per_quarter = dict(s.execute(
            select(m.Observation.period_id, func.sum(m.Observation.value)).join(m.Indicator)
            .where(m.Indicator.code == "outreach_sessions").group_by(m.Observation.period_id)).all())
    expected = per_quarter[q["2026Q1"]] + per_quarter[q["2026Q2"]]
    assert _summary(sample_engine, "2026Q2")["outreach_sessions"].value == expected
    assert _summary(sample_engine, "2026Q1")["outreach_sessions"].value == per_quarter[q["2026Q1"]]


def test_township_values_roll_up_to_the_county(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q2")
        root = ix.root_region(s)
        towns = ix.regions_at(s, root.code)
        df = ix.indicator_values(s, [period], towns, ["awareness_rural", "people_served"])
    county = _summary(sample_engine, "2026Q2")
    rural = df[df.indicator == "awareness_rural"]
    assert rural.numerator.sum() / rural.denominator.sum() == pytest.approx(county["awareness_rural"].value)
    assert df[df.indicator == "people_served"].value.sum() == county["people_served"].value


def test_target_in_force_follows_the_period(engine) -> None:
    from sample_data.generate import generate

    generate(engine)
    with session_scope(engine) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "awareness_rural"))
        old = s.scalar(select(m.Target).where(m.Target.indicator_id == ind.id))
        old.effective_to = dt.date(2026, 1, 1)
        s.add(m.Target(indicator_id=ind.id, value=0.70, comparison=">=", target_date=dt.date(2027, 12, 31),
                       near_band=0.05, effective_from=dt.date(2026, 1, 1)))
    with session_scope(engine) as s:
        assert ix.targets_in_force(s, dt.date(2025, 12, 31))["awareness_rural"].value == 0.60
        assert ix.targets_in_force(s, dt.date(2026, 6, 30))["awareness_rural"].value == 0.70
    assert _summary(engine, "2025Q4")["awareness_rural"].target.value == 0.60
    assert math.isclose(_summary(engine, "2026Q2")["awareness_rural"].target.value, 0.70)
