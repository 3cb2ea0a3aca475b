"""The coverage map's public view (the meeting-screen account): no small count in any tooltip or
fill colour, for every colouring and quarter, and exactly the cells the briefing hides.

The map colours townships by reported rates (达标状态 of 严重精神障碍患者规范管理率 …), so it is
a path to the same small counts the briefing suppresses: the industrial park's 5 / 5, 2 / 3, 2 / 4.
"""
from __future__ import annotations

import re

import pytest

from data_access import geo
from data_access import indicators as ix
from data_access.briefing import content
from data_access.db import session_scope

TIP = re.compile(r"^(?P<name>[^\n]+)\n[^\n]+[：:] ?(?P<value>[^\n]*)\n[（(](?P<num>.*) / (?P<den>.*)[）)]$")
PARK = "和安经济开发区"


def _township_tips(data: geo.MapData) -> dict[str, tuple[str, list[int], str, str, str]]:
    """township code -> (name, fill, value text, numerator text, denominator text)."""
    out = {}
    for f in data.fills:
        if f["level"] != "township":
            continue
        match = TIP.match(f["tip"])
        assert match, f["tip"]
        out[f["code"]] = (match["name"], f["f"], match["value"], match["num"], match["den"])
    return out


def _must_hide(num: float, den: float, population: int | None) -> bool:
    """The primary rule, written out here independently of data_access.suppression."""
    if population is not None and population >= 1000:
        return False
    return num < 5 or den < 5 or den - num < 5


def _check_period(s, period: ix.m.Period, colourings: list[geo.Colouring]) -> int:  # noqa: ANN001
    """Every status colouring of the period against the raw figures and against the briefing."""
    root = ix.root_region(s)
    townships = {tw.id: tw for tw in ix.regions_at(s, root.code, "township")}
    raw = ix.indicator_values(s, [period], list(townships.values()))
    briefing = content.assemble(s, period.code, "zh")
    assert briefing is not None
    catalogue = {i.code: i for i in ix.indicator_catalogue(s)}
    checked = 0
    for colouring in colourings:
        ind = catalogue[colouring.indicator]
        tips = _township_tips(geo.build_map(s, period, colouring.code, "zh", shade="township", public=True))
        rows = {r["region_code"]: r for r in briefing.township_rows if r["indicator"] == ind.code}
        for row in raw[raw.indicator == ind.code].itertuples():
            tw = townships[int(row.region_id)]
            name, fill, value, num, den = tips[tw.code]
            if ind.source == "registry":
                # Villages with a room, schools, hospitals: public places, shown as they are.
                assert num == f"{row.numerator:,.0f}" and den == f"{row.denominator:,.0f}", (colouring.code, name)
                continue
            if _must_hide(row.numerator, row.denominator, tw.population):
                assert value == "*" and num == "*", (period.code, colouring.code, name, value, num, den)
                assert fill == geo.status_colour(ix.NO_DATA), (period.code, colouring.code, name)
                checked += 1
            # The same cells as the briefing (secondary suppression included), nothing more or less:
            # a cell the deck hides must not be readable on the map, or total − others gives it back.
            brief = rows[tw.code]
            assert (value == "*", num == "*", den == "*") == (
                brief["value_text"] == "*", brief["numerator"] == "*", brief["denominator"] == "*"), \
                (period.code, colouring.code, name, (value, num, den), brief)
            if value == "*":
                assert fill == geo.status_colour(ix.NO_DATA), (period.code, colouring.code, name)
            # No tooltip of a hidden township carries a digit in the place of its figures.
            if brief["suppressed"]:
                assert not re.search(r"\d", value + (num if num == "*" else "")), (name, value, num)
    return checked


def test_public_map_hides_every_small_count_in_every_colouring_and_quarter(sample_sqlite) -> None:  # noqa: ANN001
    with session_scope(sample_sqlite) as s:
        colourings = [c for c in geo.colourings(s) if c.by_status]
        checked = sum(_check_period(s, p, colourings) for p in ix.periods(s))
    # The park's rates in every quarter with data: the test saw real small counts, not none.
    assert checked >= 3 * 8, checked


def test_public_map_on_both_databases(sample_engine) -> None:  # noqa: ANN001
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        colourings = [c for c in geo.colourings(s) if c.by_status]
        assert _check_period(s, period, colourings) >= 3
        # The tooltip, word for word, is what a staff member still sees; the screen does not.
        staff = geo.build_map(s, period, "status:smd_managed", "zh")
        public = geo.build_map(s, period, "status:smd_managed", "zh", public=True)
    park_tip = next(f["tip"] for f in staff.fills if f["level"] == "township" and f["tip"].startswith(PARK))
    assert "100.0%" in park_tip and "（5 / 5）" in park_tip
    shown = [f["tip"] for f in public.fills if f["level"] == "township" and f["tip"].startswith(PARK)][0]
    assert shown.endswith("：*\n（* / *）"), shown
    assert "（5 / 5）" not in repr(public.fills)
    # The legend says that grey may also mean "not shown".
    assert public.legend[-1]["label"] == "无数据或不公开（*）"


@pytest.mark.parametrize("colouring", ["room_coverage", "school_rooms", "status:room_coverage"])
def test_registry_colourings_are_the_same_for_the_public(sample_sqlite, colouring: str) -> None:  # noqa: ANN001
    with session_scope(sample_sqlite) as s:
        period = ix.period_by_code(s, "2026Q3")
        staff = geo.build_map(s, period, colouring, "zh")
        public = geo.build_map(s, period, colouring, "zh", public=True)
    assert [(f["tip"], f["f"]) for f in staff.fills] == [(f["tip"], f["f"]) for f in public.fills]


def test_public_map_of_a_reported_village_indicator_is_shaded_by_township(sample_sqlite, monkeypatch) -> None:  # noqa: ANN001
    # A reported figure kept per village would otherwise colour each village "has / has not":
    # a yes/no per village of a few hundred people is a small count.
    with session_scope(sample_sqlite) as s:
        period = ix.period_by_code(s, "2026Q3")
        smd = next(i for i in ix.indicator_catalogue(s) if i.code == "smd_managed")
        monkeypatch.setattr(smd, "level", "village")
        staff = geo.build_map(s, period, "status:smd_managed", "zh")
        public = geo.build_map(s, period, "status:smd_managed", "zh", public=True)
        s.rollback()
    assert staff.shade_level == "village" and public.shade_level == "township"
