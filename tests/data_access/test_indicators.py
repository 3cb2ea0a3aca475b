"""Indicator computation: status rules as pure logic; roll-ups against the database on both backends."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select

from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope

# The sample catalogue's room-coverage rule counts these types (national-pilot preset).
ROOM_TYPES = ("village_room", "social_work_room")

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
        points = list(s.scalars(select(m.ServicePoint).where(m.ServicePoint.type.in_(ROOM_TYPES))))
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


# --- steering views: trajectory, ranking, comparisons, late departments -------------------------

def test_trajectory_needs_and_pace() -> None:
    # 50 % -> 56 % over the last four quarters (1.5 points a quarter); target 80 % in four quarters.
    history = [(100, 0.40), (101, 0.50), (102, 0.52), (103, 0.54), (104, 0.56)]
    tr = ix.trajectory(history, 0.80, 108)
    assert tr.quarters_left == 4
    assert tr.needed_per_quarter == pytest.approx(0.06)
    assert tr.pace_per_quarter == pytest.approx(0.04)   # (0.56 - 0.40) / 4: window reaches back 4 quarters
    assert tr.projected == pytest.approx(0.72)
    assert tr.on_track is False
    fast = ix.trajectory([(100, 0.60), (101, 0.70)], 0.80, 102)
    assert fast.on_track is True and fast.projected == pytest.approx(0.80)


def test_trajectory_edge_cases() -> None:
    assert ix.trajectory([], 0.8, 110) is None
    assert ix.trajectory([(100, None)], 0.8, 110) is None
    one = ix.trajectory([(100, 0.5)], 0.8, 104)
    assert one.pace_per_quarter is None and one.on_track is None and one.needed_per_quarter == pytest.approx(0.075)
    assert ix.trajectory([(100, 0.9)], 0.8, 104).on_track is True          # met already
    assert ix.trajectory([(99, 0.5), (100, 0.7)], 0.8, 100).on_track is False  # target date reached, not met
    # a missing quarter inside the window: pace per quarter of elapsed time, not per reported point
    gap = ix.trajectory([(100, 0.50), (101, None), (102, 0.60)], 0.9, 105)
    assert gap.pace_per_quarter == pytest.approx(0.05)
    lower = ix.trajectory([(100, 120.0), (101, 110.0)], 100.0, 103, higher_is_better=False)
    assert lower.on_track is True and lower.projected == pytest.approx(90.0)


def test_ytd_trajectory_uses_this_years_average() -> None:
    tr = ix.ytd_trajectory(24, 3, 40)
    assert tr.pace_per_quarter == 8 and tr.projected == 32 and tr.on_track is False
    assert tr.needed_per_quarter == 16


def test_competition_ranking_with_ties_and_missing() -> None:
    values = {"a": 0.9, "b": 0.8, "c": 0.8, "d": 0.7, "e": None, "f": float("nan"), "g": 0.1 + 0.2, "h": 0.3}
    ranks = ix.competition_rank(values)
    assert [ranks[k] for k in "abcdgh"] == [1, 2, 2, 4, 5, 5]
    assert ranks["e"] is None and ranks["f"] is None
    low = ix.competition_rank({"x": 3, "y": 1, "z": 1}, higher_is_better=False)
    assert low == {"y": 1, "z": 1, "x": 3}


def _towns(s):
    return ix.regions_at(s, ix.root_region(s).code)


def test_group_statuses_match_direct_sql(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period, before = ix.period_by_code(s, "2026Q3"), ix.period_by_code(s, "2026Q2")
        towns = _towns(s)
        got = ix.group_statuses(s, period, towns, ["smd_managed", "certified_counsellors"])
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "smd_managed"))
        raw = {(r, p): (n, d) for r, p, n, d in s.execute(
            select(m.Observation.region_id, m.Observation.period_id, m.Observation.numerator,
                   m.Observation.denominator).where(m.Observation.indicator_id == ind.id))}
    smd = got[got.indicator == "smd_managed"].set_index("region_id")
    values = {}
    for t in towns:
        n, d = raw[(t.id, period.id)]
        pn, pd_ = raw[(t.id, before.id)]
        row = smd.loc[t.id]
        assert row.value == pytest.approx(n / d)
        assert row.change == pytest.approx(n / d - pn / pd_)
        assert row.status == ix.classify(n / d, ix.TargetInfo(0.9, ">=", dt.date(2026, 12, 31), 0.05,
                                                              dt.date(2024, 1, 1)), "ratio")
        values[t.id] = n / d
    better = {t: sum(v > values[t] + 1e-12 for v in values.values()) + 1 for t in values}
    assert {t: int(smd.loc[t, "rank"]) for t in values} == better
    assert set(smd["ranked"]) == {len(towns)}
    # union's 2026Q3 sheet is missing: no value, no rank, and a county count target never applies to a township
    counsellors = got[got.indicator == "certified_counsellors"]
    assert counsellors["value"].isna().all() and counsellors["rank"].isna().all()
    assert set(counsellors["status"]) == {ix.NO_DATA}
    assert counsellors["expected"].isna().all()


def test_needs_attention_is_worst_shortfall_first(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        towns = _towns(s)
        top = ix.needs_attention(s, period, towns, limit=5)
        everything = ix.group_statuses(s, period, towns)
    assert len(top) == 5
    assert list(top["shortfall"]) == sorted(top["shortfall"], reverse=True)
    assert set(top["status"]) <= {ix.BEHIND, ix.NEAR}
    behind = everything[everything.status.isin([ix.BEHIND, ix.NEAR])]
    assert top["shortfall"].iloc[0] == pytest.approx(behind["shortfall"].max())


def test_village_drill_down_for_room_coverage(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        town = _towns(s)[0]
        df = ix.village_values(s, period, town, "room_coverage")
        assert ix.village_values(s, period, town, "smd_managed") is None  # township-level indicator
        villages = list(s.scalars(select(m.Region).where(m.Region.parent_id == town.id)))
        points = list(s.scalars(select(m.ServicePoint).where(m.ServicePoint.type.in_(ROOM_TYPES))))
        town_value = ix.indicator_values(s, [period], [town], ["room_coverage"]).value.iloc[0]
    end = period.end_date
    with_room = {p.region_id for p in points
                 if p.opened_on and p.opened_on <= end and (p.retired_on is None or p.retired_on > end)}
    assert len(df) == len(villages)
    assert dict(zip(df.region_id, df.value)) == {v.id: float(v.id in with_room) for v in villages}
    assert df.value.mean() == pytest.approx(town_value)   # each village counts once: the mean of 1/0 is the rate


def test_one_query_trend_over_many_periods(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        history = [p for p in ix.periods(s) if p.code <= "2026Q3"]
        root = ix.root_region(s)
        trend = ix.indicator_values(s, history, [root], ["smd_managed"])
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "smd_managed"))
        sums = dict((p, (n, d)) for p, n, d in s.execute(
            select(m.Period.code, func.sum(m.Observation.numerator), func.sum(m.Observation.denominator))
            .join(m.Period, m.Period.id == m.Observation.period_id)
            .where(m.Observation.indicator_id == ind.id).group_by(m.Period.code)))
    assert sorted(trend.period) == sorted(sums)
    for r in trend.itertuples():
        assert r.value == pytest.approx(sums[r.period][0] / sums[r.period][1])


def test_late_and_missing_departments(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        reports = {r.code: r for r in ix.department_reports(s, period, today=dt.date(2026, 11, 23))}
        firsts = dict(s.execute(select(m.Department.code, func.min(m.Submission.uploaded_at))
                                .join(m.Submission, m.Submission.department_id == m.Department.id)
                                .where(m.Submission.period_id == period.id).group_by(m.Department.code)).all())
        quarterly = set(s.scalars(select(m.Department.code).where(m.Department.reports_quarterly.is_(True))))
        early = {r.code: r.state for r in ix.department_reports(s, period, today=dt.date(2026, 10, 1))}
    assert set(reports) == quarterly
    assert reports["union"].state == ix.MISSING and reports["union"].days_late == 39
    assert reports["petition"].state == ix.LATE
    for code, first in firsts.items():
        first = first if isinstance(first, dt.datetime) else dt.datetime.fromisoformat(first)
        expected = ix.LATE if first.date() > period.deadline else ix.ON_TIME
        assert reports[code].state == expected, code
    assert early["union"] == ix.NOT_DUE


def test_a_superseding_correction_does_not_make_a_sheet_late(engine) -> None:
    from sample_data.generate import generate

    generate(engine)
    with session_scope(engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        health = s.scalar(select(m.Department).where(m.Department.code == "health"))
        first = s.scalar(select(m.Submission).where(m.Submission.department_id == health.id,
                                                    m.Submission.period_id == period.id))
        first.status = "superseded"
        s.add(m.Submission(department_id=health.id, period_id=period.id, filename="fix.xlsx", sha256="x" * 64,
                           uploaded_at=dt.datetime(2026, 11, 1, 9), status="accepted"))
        s.add(m.Submission(department_id=s.scalar(select(m.Department.id).where(m.Department.code == "union")),
                           period_id=period.id, filename="bad.xlsx", sha256="y" * 64,
                           uploaded_at=dt.datetime(2026, 10, 2, 9), status="rejected"))
    with session_scope(engine) as s:
        states = {r.code: r.state for r in ix.department_reports(s, ix.period_by_code(s, "2026Q3"),
                                                                 today=dt.date(2026, 11, 23))}
    assert states["health"] == ix.ON_TIME
    assert states["union"] == ix.MISSING   # a rejected upload is not a sheet


def test_service_points_by_type_as_of_a_date(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        town = _towns(s)[0]
        on = dt.date(2026, 9, 30)
        got = ix.service_points_by_type(s, town, on)
        ids = {r.id for r in s.scalars(select(m.Region).where(m.Region.path.startswith(town.path)))}
        points = list(s.scalars(select(m.ServicePoint).where(m.ServicePoint.region_id.in_(ids))))
    expected: dict[str, int] = {}
    for p in points:
        if p.opened_on and p.opened_on <= on and (p.retired_on is None or p.retired_on > on):
            expected[p.type] = expected.get(p.type, 0) + 1
    assert got == expected and sum(got.values()) > 0


def test_province_roll_up_matches_path_prefix(engine) -> None:
    """Groups at several levels at once (county and its townships): the prefix grouping keeps each right."""
    from sample_data.generate import generate

    generate(engine, counties=2, quarters=2)
    with session_scope(engine) as s:
        period = ix.default_period(s, today=dt.date(2026, 11, 23))
        counties = ix.regions_at(s, None, "county")
        town = ix.regions_at(s, counties[1].code, "township")[0]
        df = ix.indicator_values(s, [period], counties + [town], ["smd_managed", "room_coverage"])
        for g in counties + [town]:
            ids = [r.id for r in s.scalars(select(m.Region).where(m.Region.path.startswith(g.path)))]
            n, d = s.execute(select(func.sum(m.Observation.numerator), func.sum(m.Observation.denominator))
                             .join(m.Indicator).where(m.Indicator.code == "smd_managed",
                                                      m.Observation.period_id == period.id,
                                                      m.Observation.region_id.in_(ids))).one()
            got = df[(df.indicator == "smd_managed") & (df.region_id == g.id)].iloc[0]
            assert (got.numerator, got.denominator) == (n, d)
            villages = s.scalar(select(func.count(m.Region.id)).where(m.Region.id.in_(ids), m.Region.level == "village"))
            assert df[(df.indicator == "room_coverage") & (df.region_id == g.id)].denominator.iloc[0] == villages
