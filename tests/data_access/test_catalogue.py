"""The catalogue as data: registry rules and per-unit minimums computed from a small county whose
every figure is worked out by hand below; dated target steps; the comparison quarter; retired
indicators; point types and their import aliases; presets."""
from __future__ import annotations

import datetime as dt
import math

import pandas.testing as pd_testing
import pytest
from sqlalchemy import Engine, select

from data_access import admin
from data_access import indicators as ix
from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.catalogue import apply_preset, edit, point_types, rules
from data_access.db import session_scope
from data_access.ingest import reference
from data_access.ingest.spec import build_spec

ADMIN = Actor(None, "test-admin", "admin")
LEADER = Actor(None, "leader", "leader")

# The county 990201: two townships.
#   T1 (990201001): villages V1 (1,000 residents) and V2 (3,000); kindergarten K1 with a school room
#       since 2024; listed hospital H1 with a clinic since 2024.
#   T2 (990201002): village V3 (2,000); primary school P1 without a room; listed township health
#       centre W1 without a clinic.
# A new point type "office_room" (机关心理服务室): one at V2 open 2025-05-01..2025-08-01 (retired),
#   one at T2 itself (a township-level place) from 2025-02-01.
# A village room at V1 from 2025-01-01.


@pytest.fixture
def small(engine: Engine) -> Engine:
    with session_scope(engine) as s:
        point_types.ensure_standard(s)
        c = m.Region(code="990201", name_zh="试点县", name_en="Pilot County", level="county", path="/990201/")
        s.add(c)
        s.flush()
        t1 = m.Region(code="990201001", name_zh="甲镇", name_en="Jia", level="township", parent_id=c.id,
                      path="/990201/990201001/")
        t2 = m.Region(code="990201002", name_zh="乙乡", name_en="Yi", level="township", parent_id=c.id,
                      path="/990201/990201002/")
        s.add_all([t1, t2])
        s.flush()
        v = {}
        for code, parent, pop in (("990201001001", t1, 1000), ("990201001002", t1, 3000),
                                  ("990201002001", t2, 2000)):
            v[code] = m.Region(code=code, name_zh=f"村{code[-1]}", name_en=f"V{code[-1]}", level="village",
                               parent_id=parent.id, path=f"{parent.path}{code}/", population=pop)
        s.add_all(v.values())
        s.flush()
        k1 = m.Facility(code="K1", kind="kindergarten", name_zh="幼儿园", name_en="K1", region_id=t1.id)
        p1 = m.Facility(code="P1", kind="primary_school", name_zh="小学", name_en="P1", region_id=t2.id)
        h1 = m.Facility(code="H1", kind="hospital", name_zh="医院", name_en="H1", region_id=t1.id, is_listed=True)
        w1 = m.Facility(code="W1", kind="township_health_centre", name_zh="卫生院", name_en="W1", region_id=t2.id,
                        is_listed=True)
        s.add_all([k1, p1, h1, w1])
        s.flush()

        def point(code: str, type_: str, region: m.Region, opened: dt.date, retired: dt.date | None = None,
                  facility: m.Facility | None = None) -> None:
            s.add(m.ServicePoint(code=code, type=type_, name_zh=code, name_en=code, region_id=region.id,
                                 facility_id=facility.id if facility else None, opened_on=opened, retired_on=retired))

        point("R1", "village_room", v["990201001001"], dt.date(2025, 1, 1))
        point("O1", "office_room", v["990201001002"], dt.date(2025, 5, 1), dt.date(2025, 8, 1))
        point("O2", "office_room", t2, dt.date(2025, 2, 1))
        point("S1", "school_room", t1, dt.date(2024, 3, 1), facility=k1)
        point("C1", "hospital_clinic", t1, dt.date(2024, 3, 1), facility=h1)
        for q, end in ((1, dt.date(2025, 3, 31)), (2, dt.date(2025, 6, 30)), (3, dt.date(2025, 9, 30)),
                       (1, dt.date(2026, 3, 31)), (2, dt.date(2026, 6, 30))):
            s.add(m.Period(code=f"{end.year}Q{q}", year=end.year, quarter=q,
                           start_date=dt.date(end.year, 3 * q - 2, 1), end_date=end,
                           deadline=end + dt.timedelta(days=15)))
        s.add(m.Department(code="union", name_zh="总工会", name_en="Union", reports_by="township"))
    return engine


def _values(engine: Engine, code: str, level: str | None = None) -> dict[tuple[str, str], tuple]:
    """(period, region code) -> (numerator, denominator, value) for the county and its townships."""
    with session_scope(engine) as s:
        root = ix.root_region(s)
        groups = [root, *ix.regions_at(s, root.code)] if level is None else ix.regions_at(s, root.code, level)
        frame = ix.indicator_values(s, ix.periods(s), groups, [code])
        codes = {g.id: g.code for g in groups}
        return {(r.period, codes[r.region_id]): (r.numerator, r.denominator, round(r.value, 6))
                for r in frame.itertuples(index=False)}


def _rule(engine: Engine, code: str, rule: dict, **extra) -> None:  # noqa: ANN003
    edit.create_indicator(engine, ADMIN, code, "registry", name_zh=code, name_en=code, rule=rule, **extra)


def test_share_of_villages_with_a_new_point_type(small: Engine) -> None:
    _rule(small, "office_villages", {"type": "share", "unit": "village", "point_types": ["office_room"]})
    got = _values(small, "office_villages")
    # Q2: only V2 has one (opened 05-01); Q3: it retired 08-01. The township-level O2 is in no village.
    assert got[("2025Q2", "990201")] == (1, 3, round(1 / 3, 6))
    assert got[("2025Q2", "990201001")] == (1, 2, 0.5)
    assert got[("2025Q2", "990201002")] == (0, 1, 0.0)
    assert got[("2025Q1", "990201")] == (0, 3, 0.0)
    assert got[("2025Q3", "990201")] == (0, 3, 0.0)
    # Drill-down: each village as its own group is 1/1 or 0/1.
    villages = _values(small, "office_villages", "village")
    assert villages[("2025Q2", "990201001002")] == (1, 1, 1.0)
    assert villages[("2025Q2", "990201001001")] == (0, 1, 0.0)


def test_share_of_townships_counts_points_in_the_township_or_its_villages(small: Engine) -> None:
    _rule(small, "office_towns", {"type": "share", "unit": "township", "point_types": ["office_room"]})
    got = _values(small, "office_towns")
    assert got[("2025Q1", "990201")] == (1, 2, 0.5)    # T2's own point from 02-01
    assert got[("2025Q2", "990201")] == (2, 2, 1.0)    # T1 through V2's point
    assert got[("2025Q3", "990201")] == (1, 2, 0.5)    # V2's point retired
    assert got[("2025Q2", "990201002")] == (1, 1, 1.0)


def test_share_of_facilities_of_kinds_and_listed_hospitals(small: Engine) -> None:
    _rule(small, "schools_k", {"type": "share", "unit": "facility", "point_types": ["school_room"],
                               "facility_kinds": ["kindergarten", "primary_school"]})
    _rule(small, "clinics", {"type": "share", "unit": "facility", "point_types": ["hospital_clinic"],
                             "facility_kinds": ["hospital", "township_health_centre"], "listed_only": True})
    assert _values(small, "schools_k")[("2025Q1", "990201")] == (1, 2, 0.5)
    assert _values(small, "schools_k")[("2025Q1", "990201002")] == (0, 1, 0.0)
    assert _values(small, "clinics")[("2025Q2", "990201")] == (1, 2, 0.5)


def test_a_point_exists_and_points_per_10k(small: Engine) -> None:
    _rule(small, "office_exists", {"type": "exists", "point_types": ["office_room"]})
    _rule(small, "office_density", {"type": "per_10k", "point_types": ["office_room"]})
    exists = _values(small, "office_exists")
    assert exists[("2025Q1", "990201")] == (1, 1, 1.0)
    assert ("2025Q1", "990201001") not in exists      # a county-level figure: townships have none
    density = _values(small, "office_density")
    # Q2: 2 points for 6,000 residents; T1: 1 for 4,000; T2: 1 for 2,000.
    assert density[("2025Q2", "990201")] == (2, 6000, round(2 / 6000 * 10000, 6))
    assert density[("2025Q2", "990201001")] == (1, 4000, 2.5)
    assert density[("2025Q2", "990201002")] == (1, 2000, 5.0)
    assert density[("2025Q3", "990201")] == (1, 6000, round(1 / 6000 * 10000, 6))
    with session_scope(small) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "office_density"))
        assert (ind.kind, ind.level) == ("rate", "township")


def test_units_meeting_a_minimum_from_reported_counts(small: Engine) -> None:
    with session_scope(small) as s:
        union = s.scalar(select(m.Department.id).where(m.Department.code == "union"))
    edit.create_indicator(small, ADMIN, "counsellors", "report", name_zh="持证心理咨询师人数", name_en="Counsellors",
                          kind="count", unit="人", owner_department_id=union)
    _rule(small, "town_counsellor", {"type": "units_meeting", "indicator": "counsellors", "minimum": 1,
                                     "unit": "township"})
    with session_scope(small) as s:
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "counsellors"))
        ids = dict(s.execute(select(m.Region.code, m.Region.id)).all())
        pids = dict(s.execute(select(m.Period.code, m.Period.id)).all())
        for period, town, value in (("2025Q1", "990201001", 0), ("2025Q2", "990201001", 2),
                                    ("2025Q2", "990201002", 0)):
            s.add(m.Observation(indicator_id=ind, region_id=ids[town], period_id=pids[period], value=value))
    got = _values(small, "town_counsellor")
    assert got[("2025Q2", "990201")] == (1, 2, 0.5)       # T1 has 2, T2 has 0
    assert got[("2025Q1", "990201")] == (0, 2, 0.0)       # T2 reported nothing: it does not meet it
    assert got[("2025Q2", "990201001")] == (1, 1, 1.0)
    assert ("2025Q3", "990201") not in got                # nobody reported: no figure, not 0 %
    # The reported count itself still rolls up as a sum.
    assert _values(small, "counsellors")[("2025Q2", "990201")][2] == 2


def test_schools_meeting_a_minimum_from_figures_reported_per_school(small: Engine) -> None:
    """Σ meeting / Σ schools: T1 has K1 (2 counsellors) and P3 (closed 2025-05-01: 0 in Q1, gone
    from Q2 on although a figure was filed); T2 has P1 (0) and P2 (no figure: does not meet it);
    the hospital H1 reports 5 but is not of the kinds counted."""
    with session_scope(small) as s:
        education = m.Department(code="education", name_zh="教育局", name_en="Education", reports_by="school")
        t1, t2 = (s.scalar(select(m.Region.id).where(m.Region.code == c)) for c in ("990201001", "990201002"))
        s.add_all([education,
                   m.Facility(code="P2", kind="primary_school", name_zh="二小", name_en="P2", region_id=t2),
                   m.Facility(code="P3", kind="primary_school", name_zh="三小", name_en="P3", region_id=t1,
                              closed_on=dt.date(2025, 5, 1))])
        s.flush()
        education_id = education.id
    edit.create_indicator(small, ADMIN, "school_counsellors", "report", name_zh="学校持证心理咨询师人数",
                          name_en="Counsellors at the school", kind="count", unit="人", level="facility",
                          owner_department_id=education_id)
    _rule(small, "schools_with_counsellor", {"type": "units_meeting", "indicator": "school_counsellors",
                                             "minimum": 1, "unit": "facility",
                                             "facility_kinds": ["primary_school", "kindergarten"]})
    with session_scope(small) as s:
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "school_counsellors"))
        fac = dict(s.execute(select(m.Facility.code, m.Facility.id)).all())
        pids = dict(s.execute(select(m.Period.code, m.Period.id)).all())
        for period, school, value in (("2025Q1", "P3", 0), ("2025Q2", "K1", 2), ("2025Q2", "P3", 3),
                                      ("2025Q2", "P1", 0), ("2025Q2", "H1", 5)):
            s.add(m.FacilityObservation(indicator_id=ind, facility_id=fac[school], period_id=pids[period], value=value))
        made = s.scalar(select(m.Indicator).where(m.Indicator.code == "schools_with_counsellor"))
        assert (made.kind, made.level) == ("ratio", "township")
        assert rules.describe(s, made.rule) == "“学校持证心理咨询师人数”至少为 1 的小学、幼儿园所占比例（达标学校数/学校总数）"
    got = _values(small, "schools_with_counsellor")
    assert got[("2025Q2", "990201001")] == (1, 1, 1.0)    # K1; P3 closed before the quarter's end
    assert got[("2025Q2", "990201002")] == (0, 2, 0.0)    # P1 has none, P2 did not report
    assert got[("2025Q2", "990201")] == (1, 3, round(1 / 3, 6))
    assert got[("2025Q1", "990201001")] == (0, 2, 0.0)    # K1 and P3 open, neither meets it
    assert ("2025Q1", "990201002") not in got             # no school there reported
    assert got[("2025Q1", "990201")] == (0, 4, 0.0)
    assert ("2025Q3", "990201") not in got                # nobody reported: no figure, not 0 %
    # The per-school figure itself adds up over the schools under each area (whatever their kind).
    counsellors = _values(small, "school_counsellors")
    assert (counsellors[("2025Q2", "990201001")][2], counsellors[("2025Q2", "990201002")][2]) == (10.0, 0.0)
    assert counsellors[("2025Q2", "990201")][2] == 10.0


def test_a_minimum_over_schools_needs_a_figure_reported_per_school(small: Engine) -> None:
    with session_scope(small) as s:
        s.add(m.Department(code="education", name_zh="教育局", name_en="Education", reports_by="school"))
        union = s.scalar(select(m.Department.id).where(m.Department.code == "union"))
    with session_scope(small) as s:
        education = s.scalar(select(m.Department.id).where(m.Department.code == "education"))
    edit.create_indicator(small, ADMIN, "school_counsellors", "report", name_zh="学校持证心理咨询师人数",
                          name_en="x", kind="count", level="facility", owner_department_id=education)
    edit.create_indicator(small, ADMIN, "counsellors", "report", name_zh="持证心理咨询师人数", name_en="x",
                          kind="count", owner_department_id=union)
    refused = {"catalogue.err.rule_base_level": [
                   {"type": "units_meeting", "indicator": "counsellors", "minimum": 1, "unit": "facility",
                    "facility_kinds": ["primary_school"]},
                   {"type": "units_meeting", "indicator": "school_counsellors", "minimum": 1, "unit": "township"}],
               "catalogue.err.rule_facility_kinds": [
                   {"type": "units_meeting", "indicator": "school_counsellors", "minimum": 1, "unit": "facility"}],
               "catalogue.err.rule_unknown_kind": [
                   {"type": "units_meeting", "indicator": "school_counsellors", "minimum": 1, "unit": "facility",
                    "facility_kinds": ["no_such_kind"]}]}
    for key, bad in refused.items():
        for rule in bad:
            with pytest.raises(InvalidInput) as why:
                _rule(small, "broken", rule)
            assert why.value.key == key
    with session_scope(small) as s:
        assert s.scalar(select(m.Indicator.id).where(m.Indicator.code == "broken")) is None


def test_rules_are_checked_before_anything_is_stored(small: Engine) -> None:
    bad = [{"type": "share", "unit": "village", "point_types": []},
           {"type": "share", "unit": "village", "point_types": ["no_such_type"]},
           {"type": "share", "unit": "facility", "point_types": ["school_room"], "facility_kinds": []},
           {"type": "units_meeting", "indicator": "missing", "minimum": 1},
           {"type": "per_10k"}, {"type": "nonsense"}, None]
    for rule in bad:
        with pytest.raises(InvalidInput):
            _rule(small, "broken", rule)
    with pytest.raises(PermissionDenied):
        edit.create_indicator(small, LEADER, "leader_made", "registry", name_zh="x", name_en="x",
                              rule={"type": "exists", "point_types": ["hotline"]})
    with session_scope(small) as s:
        assert s.scalar(select(m.Indicator.id)) is None
        assert s.scalar(select(m.AuditEntry.id)) is None


def test_dated_steps_judge_each_quarter_against_the_next_step_due(county: Engine) -> None:
    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "room_coverage"))
    admin.set_target(county, ADMIN, ind, comparison=">=", effective_from=dt.date(2027, 1, 1),
                     steps=[(dt.date(2028, 12, 31), 0.5), (dt.date(2027, 12, 31), 0.3), (dt.date(2029, 12, 31), 0.8)])
    with session_scope(county) as s:
        due = lambda day: ix.targets_in_force(s, day)["room_coverage"]  # noqa: E731
        assert (due(dt.date(2027, 6, 30)).value, due(dt.date(2027, 6, 30)).target_date) == (0.3, dt.date(2027, 12, 31))
        assert due(dt.date(2027, 12, 31)).value == 0.3
        assert (due(dt.date(2028, 3, 31)).value, due(dt.date(2028, 3, 31)).target_date) == (0.5, dt.date(2028, 12, 31))
        assert due(dt.date(2031, 3, 31)).value == 0.8
        stored = s.scalar(select(m.Target).where(m.Target.indicator_id == ind, m.Target.effective_to.is_(None)))
        assert (stored.value, stored.target_date) == (0.8, dt.date(2029, 12, 31))
        assert [x["value"] for x in stored.steps] == [0.3, 0.5, 0.8]
    with pytest.raises(InvalidInput):   # a step of 150 % is a typing error
        admin.set_target(county, ADMIN, ind, comparison=">=", effective_from=dt.date(2030, 1, 1),
                         steps=[(dt.date(2030, 12, 31), 1.5), (dt.date(2031, 12, 31), 0.9)])


def test_year_on_year_comparison_and_groups(county: Engine) -> None:
    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "petitions"))
    edit.edit_indicator(county, ADMIN, ind, compare_with="year_ago", group_zh="信访", group_en="Petitions")
    with session_scope(county) as s:
        root = ix.root_region(s)
        q3 = ix.period_by_code(s, "2026Q3")
        year_ago = ix.period_by_code(s, "2025Q3")
        expected = ix.indicator_values(s, [year_ago], [root], ["petitions"])["value"].iloc[0]
        row = next(r for r in ix.region_summary(s, q3, root) if r.code == "petitions")
        assert row.previous == expected and row.compare_with == "year_ago" and row.group_zh == "信访"
        towns = ix.regions_at(s, root.code)
        statuses = ix.group_statuses(s, q3, towns, ["petitions"])
        first = ix.indicator_values(s, [year_ago], towns[:1], ["petitions"])["value"].iloc[0]
        assert statuses.iloc[0]["previous"] == first
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "indicator.update"))
        assert entry.before["compare_with"] == "previous" and entry.after["compare_with"] == "year_ago"


def test_a_retired_indicator_leaves_pages_and_templates_and_keeps_its_history(county: Engine) -> None:
    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "rehab_participation"))
        ind_id, kept = ind.id, len(s.scalars(select(m.Observation.id).where(m.Observation.indicator_id == ind.id)).all())
    edit.retire_indicator(county, ADMIN, ind_id)
    with session_scope(county) as s:
        assert "rehab_participation" not in {i.code for i in ix.indicator_catalogue(s)}
        assert "rehab_participation" in {i.code for i in ix.indicator_catalogue(s, include_retired=True)}
        assert all(c.indicator != "rehab_participation" for c in build_spec(s, "health", "2026Q3").columns)
        assert len(s.scalars(select(m.Observation.id).where(m.Observation.indicator_id == ind_id)).all()) == kept
    edit.restore_indicator(county, ADMIN, ind_id)
    with session_scope(county) as s:
        assert any(c.indicator == "rehab_participation" for c in build_spec(s, "health", "2026Q3").columns)


def test_reorder_moves_the_indicator_on_every_list(county: Engine) -> None:
    with session_scope(county) as s:
        before = [i.code for i in ix.indicator_catalogue(s)]
        second = s.scalar(select(m.Indicator.id).where(m.Indicator.code == before[1]))
    edit.move_indicator(county, ADMIN, second, -1)
    with session_scope(county) as s:
        assert [i.code for i in ix.indicator_catalogue(s)][:2] == [before[1], before[0]]


def test_point_type_aliases_decide_what_an_import_reads(county: Engine) -> None:
    with session_scope(county) as s:
        assert reference._type_options(s)["心理咨询室"] == "village_room"
        village_room = s.scalar(select(m.PointType).where(m.PointType.code == "village_room"))
        police = s.scalar(select(m.PointType).where(m.PointType.code == "police_room"))
        vr = (village_room.id, village_room.name_zh, village_room.name_en)
        pr = (police.id, police.name_zh, police.name_en, police.aliases)
    # One name, one type: giving it to the police room while the village room has it is refused.
    with pytest.raises(InvalidInput):
        edit.save_point_type(county, ADMIN, code="police_room", name_zh=pr[1], name_en=pr[2],
                             aliases=[*pr[3], "心理咨询室"], type_id=pr[0])
    edit.save_point_type(county, ADMIN, code="village_room", name_zh=vr[1], name_en=vr[2],
                         aliases="村心理咨询室、社区心理咨询室", type_id=vr[0])
    edit.save_point_type(county, ADMIN, code="police_room", name_zh=pr[1], name_en=pr[2],
                         aliases=[*pr[3], "心理咨询室"], type_id=pr[0])
    new_id = edit.save_point_type(county, ADMIN, code="family_point", name_zh="家庭教育驿站", name_en="Family point",
                                  aliases="家教驿站")
    with session_scope(county) as s:
        options = reference._type_options(s)
        assert options["心理咨询室"] == "police_room" and options["家教驿站"] == "family_point"
        assert "family_point" in point_types.type_codes(s)
        actions = {e.action for e in s.scalars(select(m.AuditEntry).where(m.AuditEntry.entity == "point_type"))}
        assert actions == {"point_type.update", "point_type.create"}
    edit.retire_point_type(county, ADMIN, new_id)
    with session_scope(county) as s:
        assert "family_point" not in point_types.type_codes(s)


def test_presets_add_what_is_missing_and_never_overwrite(county: Engine) -> None:
    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "smd_managed"))
        ind.name_zh = "改过的名称"
    with session_scope(county) as s:
        again = apply_preset(s, "national-pilot", ADMIN)
        assert again.created == [] and again.targets == [] and "smd_managed" in again.kept
        seed = apply_preset(s, "seed-003", ADMIN, target_date=dt.date(2021, 12, 31),
                            effective_from=dt.date(2019, 1, 1))
        assert set(seed.created) == {"family_instructors", "township_counsellor"}
    with session_scope(county) as s:
        assert s.scalar(select(m.Indicator.name_zh).where(m.Indicator.code == "smd_managed")) == "改过的名称"
        family = s.scalar(select(m.Indicator).where(m.Indicator.code == "family_instructors"))
        assert family.group_zh == "双百计划"
        rule = s.scalar(select(m.Indicator.rule).where(m.Indicator.code == "township_counsellor"))
        assert rule == {"type": "units_meeting", "indicator": "certified_counsellors", "minimum": 1.0,
                        "unit": "township"}
        # The sample has counsellors in townships: the per-unit minimum has a figure.
        root = ix.root_region(s)
        q3 = ix.period_by_code(s, "2026Q2")
        v = ix.indicator_values(s, [q3], [root], ["township_counsellor"])
        assert len(v) == 1 and 0 <= v["value"].iloc[0] <= 1 and not math.isnan(v["value"].iloc[0])
    with pytest.raises(InvalidInput):
        with session_scope(county) as s:
            apply_preset(s, "no-such-preset", ADMIN)


def test_year_on_year_change_stays_hidden_beside_a_hidden_year_ago_total(county: Engine) -> None:
    """Petitions judged year on year: a year ago only the industrial park reported, its small
    count was the hidden county total; this quarter's total minus the change would give it back."""
    from sqlalchemy import delete

    from data_access.briefing import content

    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "petitions"))
        ind.compare_with = "year_ago"
        park = s.scalar(select(m.Region).where(m.Region.code == "990101013"))
        ago = ix.period_by_code(s, "2025Q3")
        kept = s.scalar(select(m.Observation.value).where(m.Observation.indicator_id == ind.id,
                                                          m.Observation.period_id == ago.id,
                                                          m.Observation.region_id == park.id))
        assert kept is not None and kept < 5
        s.execute(delete(m.Observation).where(m.Observation.indicator_id == ind.id,
                                              m.Observation.period_id == ago.id,
                                              m.Observation.region_id != park.id))
    with session_scope(county) as s:
        b = content.assemble(s, "2026Q3", "zh", today=dt.date(2026, 11, 23))
    petitions = next(f for f in b.outcomes if f.code == "petitions")
    assert petitions.value is not None and petitions.change_text == "—"
    people = next(f for f in b.outcomes if f.code == "people_served")
    assert people.change_text not in ("—", "")


def test_a_group_heading_reaches_the_briefing(county: Engine) -> None:
    from data_access.briefing import content

    with session_scope(county) as s:
        apply_preset(s, "seed-003", ADMIN)
    with session_scope(county) as s:
        b = content.assemble(s, "2026Q3", "zh", today=dt.date(2026, 11, 23))
    names = {f.code: f.name for f in b.targets}
    assert names["family_instructors"] == "双百计划 · 家庭教育指导师人数"
    assert names["smd_managed"] == "严重精神障碍患者规范管理率"


# --- coverage follows the catalogue: the map's colourings, the summary and the gap lists -------------

def test_a_county_s_own_share_rules_make_the_map_summary_and_gaps(small: Engine) -> None:
    from data_access import coverage, geo

    # This county has no room_coverage / school_rooms: only its own share rules (on the new office
    # room type, and listed hospitals), plus a rule that is no share and so no coverage.
    _rule(small, "office_villages", {"type": "share", "unit": "village", "point_types": ["office_room"]})
    _rule(small, "office_towns", {"type": "share", "unit": "township", "point_types": ["office_room"]})
    _rule(small, "clinics", {"type": "share", "unit": "facility", "point_types": ["hospital_clinic"],
                             "facility_kinds": ["hospital", "township_health_centre"], "listed_only": True})
    _rule(small, "office_exists", {"type": "exists", "point_types": ["office_room"]})
    with session_scope(small) as s:
        q2, q3 = ix.period_by_code(s, "2025Q2"), ix.period_by_code(s, "2025Q3")
        assert [i.code for i in coverage.share_indicators(s)] == ["office_villages", "office_towns", "clinics"]
        assert [c.code for c in geo.colourings(s) if not c.by_status] == ["office_villages", "office_towns", "clinics"]
        # A stale colouring (the sample's room_coverage) opens the first coverage the catalogue has.
        assert geo.parse_colouring("room_coverage", s).code == "office_villages"
        summary = coverage.coverage_summary(s, q2).set_index("code")
        public = coverage.coverage_summary(s, q2, public=True).set_index("code")
        gaps_q2 = {c: coverage.gaps(s, q2, c) for c in ("office_villages", "office_towns", "clinics")}
        towns_q3 = coverage.gaps(s, q3, "office_towns", lang="en")
        public_gaps = coverage.gaps(s, q2, "office_villages", public=True)
        legend = [x["label"] for x in geo.build_map(s, q2, "office_villages", shade="village").legend]
        words = coverage.unit_words(s, coverage.share_indicator(s, "clinics"), "zh")
        column = coverage.unit_column(s, coverage.share_indicator(s, "clinics"), "zh")
    # Q2 by hand: V2's office room is open (T1: 1 of 2 villages; T2: 0 of 1); T2 has its own point,
    # T1 has one through V2: both townships covered; H1 has a clinic, W1 not.
    assert list(summary.index) == ["990201001", "990201002", "990201"]
    assert summary.loc["990201", "township"] == "试点县合计"
    assert tuple(summary.loc["990201", ["office_villages.n", "office_villages.d"]]) == (1, 3)
    assert tuple(summary.loc["990201001", ["office_villages.n", "office_villages.d", "office_villages"]]) == (1, 2, 0.5)
    assert tuple(summary.loc["990201", ["office_towns.n", "office_towns.d"]]) == (2, 2)
    assert tuple(summary.loc["990201002", ["clinics.n", "clinics.d", "clinics"]]) == (0, 1, 0.0)
    assert tuple(summary.loc["990201", ["clinics.n", "clinics.d"]]) == (1, 2)
    assert "office_exists" not in summary.columns
    # Registry counts of public places pass the display account's suppression unchanged.
    assert not public[[c for c in public.columns if c.endswith(".hidden")]].any().any()
    pd_testing.assert_frame_equal(public, summary)
    # Gap lists: the uncovered units of each rule, most populous first.
    assert list(gaps_q2["office_villages"]["code"]) == ["990201002001", "990201001001"]   # 2,000 then 1,000
    assert list(gaps_q2["office_villages"].columns) == coverage.GAP_COLUMNS["village"]
    assert gaps_q2["office_towns"].empty
    assert list(gaps_q2["clinics"]["code"]) == ["W1"] and list(gaps_q2["clinics"]["kind"]) == ["乡镇卫生院"]
    assert towns_q3.to_dict("records") == [dict(code="990201001", name="Jia", population=0)]   # V2's room retired
    assert list(public_gaps["code"]) == list(gaps_q2["office_villages"]["code"])
    assert legend == ["已有机关心理服务室", "尚无机关心理服务室"]
    assert (words, column) == ("医院、乡镇卫生院", "医院")

    # Retired: the rule leaves every coverage panel (its figures stay in the catalogue's history).
    with session_scope(small) as s:
        office_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "office_villages"))
    edit.retire_indicator(small, ADMIN, office_id)
    with session_scope(small) as s:
        assert [i.code for i in coverage.share_indicators(s)] == ["office_towns", "clinics"]
        assert "office_villages" not in {c.code for c in geo.colourings(s)}
        assert "office_villages" not in coverage.coverage_summary(s, ix.period_by_code(s, "2025Q2")).columns
        assert coverage.gaps(s, ix.period_by_code(s, "2025Q2"), "office_villages").empty


def test_gap_sheets_get_names_excel_accepts() -> None:
    from data_access.registry import gaps_workbook, sheet_title
    from openpyxl import load_workbook
    import io
    import pandas as pd

    long = "村（社区）心理咨询室或社会工作室建成率（按村统计，含新建社区和撤并村）"
    assert sheet_title("a/b[c]:d*e?f\\g'h", []) == "a_b_c__d_e_f_g_h"
    first = sheet_title(long, [])
    second = sheet_title(long, [first])
    assert len(first) == len(second) == 31 and first != second
    frame = pd.DataFrame({"x": [1]})
    book = load_workbook(io.BytesIO(gaps_workbook({long: frame, long + "2": frame, "=1+1": frame})))
    assert len(book.sheetnames) == 3 and len(set(book.sheetnames)) == 3


def test_the_briefing_map_follows_the_first_coverage_rule(small: Engine) -> None:
    from data_access.briefing import content

    with session_scope(small) as s:
        none = content.assemble(s, "2025Q3", "zh", today=dt.date(2025, 11, 1))
    assert none.coverage is None and none.titles["map"] == "服务阵地覆盖情况"
    assert {a.text for a in none.map_areas} == {"暂无数据"}
    _rule(small, "office_exists", {"type": "exists", "point_types": ["office_room"]})   # no share: no map
    edit.create_indicator(small, ADMIN, "office_towns", "registry", name_zh="乡镇机关心理服务室覆盖率",
                          name_en="Townships with an office room",
                          rule={"type": "share", "unit": "township", "point_types": ["office_room"]})
    with session_scope(small) as s:
        b = content.assemble(s, "2025Q3", "zh", today=dt.date(2025, 11, 1))
        en = content.assemble(s, "2025Q3", "en", today=dt.date(2025, 11, 1))
    # 2025Q3: T2 has its own office room, T1's (at V2) retired on 08-01.
    assert b.coverage.code == "office_towns" and b.coverage.text == "50.0%"
    assert b.titles["map"] == "乡镇机关心理服务室覆盖率（分乡镇）"
    assert en.titles["map"] == "Townships with an office room, by township"
    assert {a.code: a.value for a in b.map_areas} == {"990201001": 0.0, "990201002": 1.0}


def test_a_rule_changes_its_type_and_its_history_follows(small: Engine) -> None:
    from data_access import coverage

    _rule(small, "office_villages", {"type": "share", "unit": "village", "point_types": ["office_room"]},
          numerator_label_zh="有机关室的村", denominator_label_zh="村数")
    with session_scope(small) as s:
        ind_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "office_villages"))
    # Refused: a rule of the new type that is incomplete; nothing changed, nothing audited.
    with pytest.raises(InvalidInput):
        edit.edit_indicator(small, ADMIN, ind_id, rule={"type": "per_10k", "point_types": []})
    with pytest.raises(PermissionDenied):
        edit.edit_indicator(small, LEADER, ind_id, rule={"type": "per_10k", "point_types": ["office_room"]})
    with session_scope(small) as s:
        ind = s.get(m.Indicator, ind_id)
        assert (ind.kind, ind.rule["type"]) == ("ratio", "share")
        assert s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "indicator.update")) is None
    edit.edit_indicator(small, ADMIN, ind_id, rule={"type": "per_10k", "point_types": ["office_room"]})
    with session_scope(small) as s:
        ind = s.get(m.Indicator, ind_id)
        assert (ind.kind, ind.level, ind.rule) == ("rate", "township", {"type": "per_10k", "point_types": ["office_room"]})
        # The share's numerator and denominator names no longer describe the figure.
        assert ind.numerator_label_zh is None and ind.denominator_label_zh is None
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "indicator.update"))
        assert entry.before["rule"]["type"] == "share" and entry.before["kind"] == "ratio"
        assert entry.after["rule"]["type"] == "per_10k" and entry.after["kind"] == "rate"
        assert coverage.share_indicators(s) == []   # no longer a coverage: it leaves the map's panels
    # Every past quarter is now points per 10,000 residents (2 points, 6,000 residents in 2025Q2).
    got = _values(small, "office_villages")
    assert got[("2025Q2", "990201")] == (2, 6000, round(2 / 6000 * 10000, 6))
    assert got[("2025Q3", "990201")] == (1, 6000, round(1 / 6000 * 10000, 6))
    # And back to a share over townships: a ratio again, level township.
    edit.edit_indicator(small, ADMIN, ind_id, rule={"type": "share", "unit": "township", "point_types": ["office_room"]})
    with session_scope(small) as s:
        assert (s.get(m.Indicator, ind_id).kind, s.get(m.Indicator, ind_id).level) == ("ratio", "township")
    assert _values(small, "office_villages")[("2025Q2", "990201")] == (2, 2, 1.0)
