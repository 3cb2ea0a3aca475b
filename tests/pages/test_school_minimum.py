"""A per-unit minimum over schools end to end: an indicator reported per school and "schools
with at least one certified counsellor" created in the catalogue, the education bureau's sheet
filled and uploaded, then the figure on the indicator page ("n of N schools meet it"), on the
overview and in the briefing, with the public screen's small-count rule still hiding the
per-school count of a small area."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from data_access import models as m
from data_access import indicators as ix
from data_access import suppression as sup
from data_access.access import Actor
from data_access.briefing import content
from data_access.catalogue import edit
from data_access.db import session_scope
from data_access.ingest.commit import ACCEPTED, ingest
from view_helpers import html_tables, open_view, texts

sys.path.insert(0, str(Path(__file__).parent.parent / "data_access" / "ingest"))
from ingest_helpers import template_bytes  # noqa: E402

ADMIN = Actor(None, "test-admin", "admin")
TODAY = dt.date(2026, 11, 23)
PERIOD = "2026Q3"
KINDS = ["primary_school", "secondary_school"]


def _set_up(engine) -> dict[str, int]:  # noqa: ANN001
    """The two indicators, and an uploaded sheet: every third school has no certified counsellor."""
    with session_scope(engine) as s:
        education = s.scalar(select(m.Department.id).where(m.Department.code == "education"))
    edit.create_indicator(engine, ADMIN, "school_counsellors", "report", name_zh="学校持证心理咨询师人数",
                          name_en="Certified counsellors at the school", kind="count", unit="人", level="facility",
                          owner_department_id=education, is_target=False)
    edit.create_indicator(engine, ADMIN, "schools_with_counsellor", "registry", name_zh="有持证心理咨询师的学校占比",
                          name_en="Schools with a certified counsellor", unit="%", owner_department_id=education,
                          rule={"type": "units_meeting", "indicator": "school_counsellors", "minimum": 1,
                                "unit": "facility", "facility_kinds": KINDS})
    with session_scope(engine) as s:
        schools = s.execute(select(m.Facility.code, m.Facility.kind).where(m.Facility.closed_on.is_(None))
                            .order_by(m.Facility.code)).all()
    figures = {code: n % 3 for n, (code, kind) in enumerate(schools)}
    preview, result = ingest(engine, ADMIN, template_bytes(engine, "education", PERIOD, values={
        code: {"school_counsellors:value": v} for code, v in figures.items()}), "学校.xlsx", "education", PERIOD,
        today=TODAY)
    assert result.status == ACCEPTED, [p.key for p in preview.all_problems if p.severity == "error"]
    counted = [code for code, kind in schools if kind in KINDS]
    return {"meeting": sum(figures[c] >= 1 for c in counted if c in figures), "total": len(counted)}


def test_schools_meeting_a_minimum_show_on_the_pages_and_in_the_briefing(writable_app) -> None:
    expected = _set_up(writable_app)
    assert 0 < expected["meeting"] < expected["total"]
    at = open_view(writable_app, "pages/indicator.py", query={"indicator": "schools_with_counsellor", "period": PERIOD})
    assert not at.exception
    page = texts(at)
    assert f"{expected['total']} 所学校中 {expected['meeting']} 所达标" in page
    assert next(x for x in at.metric if x.label == "全县当前值").value == \
        f"{expected['meeting'] / expected['total'] * 100:.1f}%"
    # Every township's row counts its own schools: they add up to the county's.
    table = at.dataframe[0].value
    assert table["学校总数"].astype(int).sum() == expected["total"]
    assert table["达标学校数"].astype(int).sum() == expected["meeting"]

    english = open_view(writable_app, "pages/indicator.py", lang="en",
                        query={"indicator": "schools_with_counsellor", "period": PERIOD})
    assert f"{expected['meeting']} of {expected['total']} schools meet it" in texts(english)

    overview = open_view(writable_app, "pages/home.py", query={"period": PERIOD})
    assert not overview.exception
    row = html_tables(overview)[0].set_index("指标").loc["有持证心理咨询师的学校占比"]
    assert row["当前值"] == f"{expected['meeting'] / expected['total'] * 100:.1f}%"

    with session_scope(writable_app) as s:
        briefing = content.assemble(s, PERIOD, "zh", today=TODAY)
        figure = next(f for f in briefing.targets if f.code == "schools_with_counsellor")
        assert (figure.numerator, figure.denominator) == (expected["meeting"], expected["total"])
        assert figure.text == f"{expected['meeting'] / expected['total'] * 100:.1f}%"
        assert any(f.code == "school_counsellors" for f in briefing.outcomes)


def test_the_public_screen_still_hides_a_small_areas_per_school_count(writable_app) -> None:
    _set_up(writable_app)
    with session_scope(writable_app) as s:
        th = sup.load_thresholds(s)
        root = ix.root_region(s)
        towns = ix.regions_at(s, root.code, "township")
        period = ix.period_by_code(s, PERIOD)
        raw = ix.indicator_values(s, [period], towns, ["school_counsellors"])
        public, _ = sup.public_values(s, [period], towns, root, ["school_counsellors"], th)
    small = {t.id for t in towns if t.population is not None and t.population < th.max_population}
    hidden = raw[raw["region_id"].isin(small) & (raw["value"] < th.min_count)]
    assert not hidden.empty, "the sample's small area (the park) has a school with a small count"
    shown = public.set_index("region_id")
    for region_id in hidden["region_id"]:
        assert shown.loc[region_id, "value_flag"] in sup.FLAGS and pd.isna(shown.loc[region_id, "value"])
