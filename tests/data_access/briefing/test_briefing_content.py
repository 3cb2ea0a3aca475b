"""The briefing content: the single source of every slide, checked against the database."""
from __future__ import annotations

import datetime as dt

from data_access import indicators as ix
from data_access.briefing import content
from data_access.briefing.content import SLIDES
from data_access.db import session_scope

TODAY = dt.date(2026, 11, 23)


def _briefing(engine, lang: str = "zh"):  # noqa: ANN001, ANN202
    with session_scope(engine) as s:
        return content.assemble(s, "2026Q3", lang, today=TODAY)


def test_county_figures_match_region_summary(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    with session_scope(sample_engine) as s:
        expected = {r.code: r for r in ix.region_summary(s, ix.period_by_code(s, "2026Q3"), ix.root_region(s))}
    assert b.county == "和安县" and b.period_label == "2026年第3季度" and b.date_text == "2026年11月23日"
    assert [f.code for f in b.targets] == [c for c, r in expected.items() if r.is_target]
    smd = next(f for f in b.targets if f.code == "smd_managed")
    assert smd.text == f"{expected['smd_managed'].value * 100:.1f}%"
    assert smd.numerator == expected["smd_managed"].numerator
    assert b.counts == {s: sum(r.status == s for r in expected.values() if r.is_target)
                        for s in (ix.MET, ix.NEAR, ix.BEHIND, ix.NO_DATA)}
    union = next(f for f in b.targets if f.code == "certified_counsellors")
    assert union.value is None and union.text == "暂无数据"  # the union's sheet is missing, not zero
    assert [f.code for f in b.outcomes] == [c for c, r in expected.items() if not r.is_target]
    assert list(b.titles) == list(SLIDES)


def test_behind_lists_townships_furthest_behind_with_real_values(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    assert b.behind, "the sample has indicators short of target"
    assert all(i.figure.status in (ix.BEHIND, ix.NEAR) for i in b.behind)
    item = next(i for i in b.behind if i.by_township)
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        towns = ix.regions_at(s, ix.root_region(s).code)
        values = ix.indicator_values(s, [period], towns, [item.figure.code])
        names = {t.id: t.name_zh for t in towns}
    lowest = values.sort_values("value").iloc[0]
    assert item.worst[0].name == names[lowest.region_id]
    assert item.worst[0].text == f"{lowest.value * 100:.1f}%"
    values = [a.value for a in item.worst]
    assert values == sorted(values)


def test_departments_not_reported(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    missing = {d.code for d in b.departments if d.state == "missing"}
    late = {d.code for d in b.departments if d.state == "late"}
    assert "union" in missing                         # the union's 2026Q3 sheet is missing
    assert "petition" in late and "health" not in missing | late
    assert b.departments_due == 7


def test_park_is_suppressed_everywhere_in_the_content(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    park = [r for r in b.township_rows if r["region"] == "和安经济开发区"]
    rehab = next(r for r in park if r["indicator"] == "rehab_participation")
    assert rehab["denominator"] == "*" and rehab["value"] is None and rehab["value_text"] == "*"
    petitions = next(r for r in park if r["indicator"] == "petitions")
    assert petitions["value_text"] == "*"
    # 5 of 5 under management: the numerator is hidden (0 not managed) and so is the 5 beside it,
    # which with the mark would say "all or none".
    smd = next(r for r in park if r["indicator"] == "smd_managed")
    assert (smd["numerator"], smd["denominator"], smd["value_text"]) == ("*", "*", "*")
    # One mark for every reason: nothing in the briefing reads "<5".
    assert not any("<" in str(v) for r in b.township_rows for v in r.values())
    # Secondary suppression: some other township's petitions are hidden as well.
    others = [r for r in b.township_rows if r["indicator"] == "petitions" and r["region"] != "和安经济开发区"]
    assert sum(r["value"] is None for r in others) == 1
    # Registry coverage is not suppressed (villages with rooms are public places).
    rooms = next(r for r in park if r["indicator"] == "room_coverage")
    assert rooms["value"] == 0.5
    assert b.any_suppressed and "“*”" in b.footnote and "<" not in b.footnote


def test_english(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine, "en")
    assert b.period_label == "2026 Q3" and b.titles["overview"] == "All target indicators"
    assert b.county != "和安县"


def test_no_change_beside_a_total_hidden_last_quarter(county) -> None:  # noqa: ANN001
    # Last quarter only the industrial park reported petitions: the county total was the park's
    # small count and was hidden. This quarter's total minus a change would give it back.
    from sqlalchemy import delete, select

    from data_access import models as m

    with session_scope(county) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "petitions"))
        park = s.scalar(select(m.Region).where(m.Region.code == "990101013"))
        q2 = ix.period_by_code(s, "2026Q2")
        kept = s.scalar(select(m.Observation.value).where(m.Observation.indicator_id == ind.id,
                                                          m.Observation.period_id == q2.id,
                                                          m.Observation.region_id == park.id))
        assert kept is not None and kept < 5
        s.execute(delete(m.Observation).where(m.Observation.indicator_id == ind.id,
                                              m.Observation.period_id == q2.id,
                                              m.Observation.region_id != park.id))
    b = _briefing(county)
    petitions = next(f for f in b.outcomes if f.code == "petitions")
    assert petitions.value is not None and petitions.text != "*"   # this quarter's total stands
    assert petitions.change_text == "—"
    people = next(f for f in b.outcomes if f.code == "people_served")
    assert people.change_text not in ("—", "")                     # other changes still show
