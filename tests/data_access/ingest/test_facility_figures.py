"""An indicator reported per school: the education bureau's sheet gets its column, an upload
stores one figure per school (read back from facility_observations), a correction of two schools
keeps the others' figures, and only an explicit REPLACE deletes them."""
from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from ingest_helpers import ADMIN, TODAY, template_bytes
from data_access import models as m
from data_access.admin import InvalidInput
from data_access.catalogue import edit
from data_access.db import session_scope
from data_access.ingest.commit import ACCEPTED, ingest
from data_access.ingest.spec import build_spec

PERIOD = "2026Q3"


def _dept_id(engine: Engine, code: str) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(m.Department.id).where(m.Department.code == code))


def _per_school_counsellors(engine: Engine) -> None:
    edit.create_indicator(engine, ADMIN, "school_counsellors", "report", name_zh="持证心理咨询师人数（学校）",
                          name_en="Certified counsellors at the school", kind="count", unit="人",
                          level="facility", owner_department_id=_dept_id(engine, "education"))


def _stored(engine: Engine) -> dict[str, float]:
    with session_scope(engine) as s:
        return dict(s.execute(
            select(m.Facility.code, m.FacilityObservation.value)
            .join(m.Facility, m.Facility.id == m.FacilityObservation.facility_id)
            .join(m.Indicator, m.Indicator.id == m.FacilityObservation.indicator_id)
            .join(m.Period, m.Period.id == m.FacilityObservation.period_id)
            .where(m.Indicator.code == "school_counsellors", m.Period.code == PERIOD)).all())


def _schools(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return [e.code for e in build_spec(s, "education", PERIOD).entities]


def test_a_per_school_figure_is_a_column_of_the_school_sheet_and_stored_per_school(county: Engine) -> None:
    with session_scope(county) as s:
        before = [c.key for c in build_spec(s, "education", PERIOD).template_columns]
    _per_school_counsellors(county)
    with session_scope(county) as s:
        spec = build_spec(s, "education", PERIOD)
        assert [c.key for c in spec.template_columns] == before + ["school_counsellors:value"]
        assert next(c for c in spec.columns if c.key == "school_counsellors:value").label_zh == "持证心理咨询师人数（学校）（人）"
        # A township department's sheet does not get it.
        assert "school_counsellors:value" not in {c.key for c in build_spec(s, "health", PERIOD).columns}
    schools = _schools(county)
    assert len(schools) > 4
    values = {code: {"school:has_room": "是", "school:teachers_full": 1, "school:teachers_part": 0,
                     "school_counsellors:value": n % 3} for n, code in enumerate(schools)}
    preview, result = ingest(county, ADMIN, template_bytes(county, "education", PERIOD, values=values), "学校.xlsx",
                             "education", PERIOD, today=TODAY)
    assert result.status == ACCEPTED, [p.key for p in preview.all_problems if p.severity == "error"]
    assert _stored(county) == {code: float(n % 3) for n, code in enumerate(schools)}
    with session_scope(county) as s:
        sub = s.get(m.Submission, result.submission_id)
        assert {r["school"]: r["indicator:school_counsellors"] for r in sub.parsed} == \
            {code: n % 3 for n, code in enumerate(schools)}

    # A correction of two schools: their figures change, every other school's stays.
    two = {schools[0]: {"school_counsellors:value": 5}, schools[1]: {"school_counsellors:value": 6}}
    preview, result = ingest(county, ADMIN, template_bytes(county, "education", PERIOD, values=two), "更正.xlsx",
                             "education", PERIOD, today=TODAY)
    assert result.status == ACCEPTED and result.mode == "update"
    changed = {(c.key, c.indicator): (c.old, c.new, c.kind) for c in preview.changes
               if c.indicator == "school_counsellors" and c.kind != "removed"}
    assert changed == {(schools[0], "school_counsellors"): (0, 5, "changed"),
                       (schools[1], "school_counsellors"): (1, 6, "changed")}
    # The other schools' per-school figures are "not in the file" (kept), counted in the preview.
    assert sum(c.kind == "removed" and c.indicator == "school_counsellors" for c in preview.changes) == \
        len(schools) - 2
    expected = {code: float(n % 3) for n, code in enumerate(schools)} | {schools[0]: 5.0, schools[1]: 6.0}
    assert _stored(county) == expected
    with session_scope(county) as s:
        kept = {r["school"]: r.get("indicator:school_counsellors") for r in s.get(m.Submission, result.submission_id).parsed}
    assert kept == {code: int(v) for code, v in expected.items()}

    # The same two as the quarter's whole set (REPLACE): the other schools' figures go.
    again = {schools[0]: {"school_counsellors:value": 2}, schools[1]: {"school_counsellors:value": 0}}
    preview, result = ingest(county, ADMIN, template_bytes(county, "education", PERIOD, values=again), "替换.xlsx",
                             "education", PERIOD, today=TODAY, mode="replace")
    assert (result.status, result.mode) == (ACCEPTED, "replace")
    assert _stored(county) == {schools[0]: 2.0, schools[1]: 0.0}


def test_a_per_school_figure_must_be_a_count_or_yesno_of_a_school_sheet_department(county: Engine) -> None:
    education, health = _dept_id(county, "education"), _dept_id(county, "health")
    refused = [dict(kind="count", owner_department_id=health),
               dict(kind="ratio", owner_department_id=education, numerator_label_zh="a", denominator_label_zh="b"),
               dict(kind="count", owner_department_id=education, accumulate="ytd")]
    for fields in refused:
        with pytest.raises(InvalidInput):
            edit.create_indicator(county, ADMIN, "per_school_bad", "report", name_zh="x", name_en="x",
                                  level="facility", **fields)
    _per_school_counsellors(county)
    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "school_counsellors"))
    with pytest.raises(InvalidInput) as refused_move:
        edit.edit_indicator(county, ADMIN, ind, level="township")
    assert refused_move.value.key == "catalogue.err.level_fixed"
    with session_scope(county) as s:
        assert s.scalar(select(m.Indicator.level).where(m.Indicator.id == ind)) == "facility"
        assert s.scalar(select(m.Indicator.id).where(m.Indicator.code == "per_school_bad")) is None
