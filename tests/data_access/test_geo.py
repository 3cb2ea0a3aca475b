"""Coverage map payload: geometry helpers as pure logic; the map of the sample county and of a small
province against the database, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import and_, exists, func, or_, select

from data_access import geo
from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
                                             [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]}


# --- geometry -------------------------------------------------------------------------------------

def test_simplify_drops_near_collinear_vertices_and_rounds() -> None:
    ring = [[104.0, 30.0], [104.05, 30.00001], [104.1, 30.0], [104.1, 30.1], [104.0, 30.1], [104.0, 30.0]]
    out = geo.simplify_ring(ring, tolerance=0.001, digits=4)
    assert out == [[104.0, 30.0], [104.1, 30.0], [104.1, 30.1], [104.0, 30.1], [104.0, 30.0]]


def test_simplify_keeps_a_tiny_polygon_instead_of_collapsing_it() -> None:
    ring = [[0, 0], [0.0001, 0], [0.0001, 0.0001], [0, 0]]
    assert geo.simplify_ring(ring, tolerance=1.0, digits=4) == [[0, 0], [0.0001, 0], [0.0001, 0.0001], [0, 0]]


def test_simplify_handles_many_vertices() -> None:
    # A wiggly 2,000-vertex boundary, as a real survey outline would be: far fewer vertices come out.
    import math

    ring = [[104 + 0.1 * math.cos(a / 318.3) + 0.00001 * (a % 2), 30 + 0.1 * math.sin(a / 318.3)]
            for a in range(2000)]
    ring.append(ring[0])
    out = geo.simplify_ring(ring)
    assert out[0] == out[-1] and 8 < len(out) < 200


def test_point_in_polygon_respects_holes_and_multipolygons() -> None:
    assert geo.point_in_geometry(1, 1, SQUARE)
    assert not geo.point_in_geometry(5, 5, SQUARE)          # in the hole
    assert not geo.point_in_geometry(11, 5, SQUARE)
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"], [[[20, 20], [21, 20], [21, 21], [20, 20]]]]}
    assert geo.point_in_geometry(20.8, 20.2, multi)
    assert not geo.point_in_geometry(0, 0.0, None)


def test_view_fits_the_box() -> None:
    view = geo.view_for((104.2, 30.1, 104.82, 30.56))
    assert view["longitude"] == pytest.approx(104.51) and view["latitude"] == pytest.approx(30.33)
    assert 9.2 < view["zoom"] < 9.5


# --- the sample county ----------------------------------------------------------------------------

def _open_points_with_coordinates(s, end) -> dict[str, int]:  # noqa: ANN001
    """Independent count: points in service at `end` with coordinates (the problem points excluded below)."""
    rows = s.execute(select(m.ServicePoint.type, func.count())
                     .where(m.ServicePoint.lon.is_not(None), m.ServicePoint.opened_on <= end,
                            or_(m.ServicePoint.retired_on.is_(None), m.ServicePoint.retired_on > end))
                     .group_by(m.ServicePoint.type)).all()
    return dict(rows)


def test_county_map_draws_every_open_point_but_the_problems(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        data = geo.build_map(s, period)
        expected = _open_points_with_coordinates(s, period.end_date)
        expected["enterprise_station"] -= 1  # 南湖砖厂: longitude typed as 14.x, outside the county
    assert data.scale == "county" and data.shade_level == "village"
    assert {tp: len(rows) for tp, rows in data.points.items()} == expected
    drawn = [p for rows in data.points.values() for p in rows]
    assert all(104 < p["lon"] < 105 and 30 < p["lat"] < 31 for p in drawn)  # nothing at (0, 0)
    problems = {(p["name"], p["problem"]) for p in data.problems}
    assert problems == {("柳溪乡集镇网格服务点", "no_coordinates"), ("清水乡敬老院网格服务点", "no_coordinates"),
                        ("南湖砖厂企业爱心驿站", "outside_county")}
    assert not {p["code"] for p in data.problems} & {p["code"] for p in drawn}
    assert len(data.fills) == 180 and len(data.outlines) == 13


def test_village_colours_follow_the_registry(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2025Q4")
        end = period.end_date
        data = geo.build_map(s, period, "room_coverage", shade="village")
        has_room = exists().where(m.ServicePoint.region_id == m.Region.id,
                                  m.ServicePoint.type.in_(("village_room", "social_work_room")),
                                  m.ServicePoint.opened_on <= end,
                                  or_(m.ServicePoint.retired_on.is_(None), m.ServicePoint.retired_on > end))
        with_room = set(s.scalars(select(m.Region.code).where(m.Region.level == "village", has_room)))
    green = {f["code"] for f in data.fills if f["f"] == geo.HAS_ROOM_FILL}
    salmon = {f["code"] for f in data.fills if f["f"] == geo.NO_ROOM_FILL}
    assert green == with_room and len(green) + len(salmon) == 180
    # The legend names the rule's own point types (room_coverage: village rooms and social-work rooms).
    assert "尚无村（社区）心理咨询室或村（社区）社会工作室" in [item["label"] for item in data.legend]


def test_township_colours_are_indicator_values_and_statuses(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        townships = ix.regions_at(s, ix.root_region(s).code, "township")
        coverage = geo.build_map(s, period, "room_coverage", shade="township")
        status = geo.build_map(s, period, "status:smd_managed", lang="en")
        values = ix.indicator_values(s, [period], townships, ["room_coverage", "smd_managed"])
        target = ix.targets_in_force(s, period.end_date)["smd_managed"]
    by = {(r.indicator, r.region_id): r.value for r in values.itertuples()}
    code_to_id = {tw.code: tw.id for tw in townships}
    fills = {f["code"]: f["f"] for f in coverage.fills if f["level"] == "township"}
    assert len(fills) == 13
    for code, fill in fills.items():
        assert fill == geo.ramp_colour(by[("room_coverage", code_to_id[code])]), code
    # 北山乡 has 9 of 16 villages with a room: 56.25 % falls in the 40–60 % bin.
    beishan = next(f for f in coverage.fills if f["tip"].startswith("北山乡"))
    assert "56.3%" in beishan["tip"] and "9 / 16" in beishan["tip"]   # 56.25 % rounds half up
    for f in status.fills:
        if f["level"] == "township":
            expected = ix.classify(by[("smd_managed", code_to_id[f["code"]])], target, "ratio")
            assert f["f"] == geo.status_colour(expected)
    assert status.legend[0]["label"].startswith("Met")


def test_filters_by_type_state_and_township(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        nanhu = ix.region_by_code(s, "990101008")
        data = geo.build_map(s, period, township_code="990101008", types=["village_room", "township_station"])
        in_nanhu = s.scalar(select(func.count()).select_from(m.ServicePoint).join(m.Region)
                            .where(m.Region.path.startswith(nanhu.path), m.ServicePoint.lon.is_not(None),
                                   m.ServicePoint.type.in_(("village_room", "township_station")),
                                   m.ServicePoint.opened_on <= period.end_date))
        # 黄岭乡's station opened in May 2026: "not yet open" at the end of 2025Q4.
        planned = geo.build_map(s, ix.period_by_code(s, "2025Q4"), types=["township_station"], states=["planned"])
    assert set(data.points) == {"village_room", "township_station"}
    assert sum(len(v) for v in data.points.values()) == in_nanhu == data.point_count
    box = geo.bbox([nanhu.boundary])
    assert box[0] <= data.view["longitude"] <= box[2] and data.view["zoom"] > 10
    assert [p["tip"].splitlines()[0] for p in planned.points["township_station"]] == ["黄岭乡社会心理服务站"]


def test_county_payload_is_small_and_offline(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        data = geo.build_map(s, period, states=geo.POINT_STATES)
    deck = geo.deck(data)
    size = geo.payload_bytes(deck)
    print(f"\nsample county map payload: {size:,} bytes (data {geo.data_json_bytes(data):,})")
    assert size < 1_000_000
    spec = json.loads(deck.to_json())
    # No basemap: pydeck's sentinel (no map_style argument), never None (which means Carto) or a URL.
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in deck.to_json()
    assert [layer["id"] for layer in spec["layers"]][:2] == ["fills", "outlines"]
    with_tiles = json.loads(geo.deck(data, tile="http://tiles.intranet/{z}/{x}/{y}.png").to_json())
    tiles = [layer for layer in with_tiles["layers"] if layer["@@type"] == "BitmapLayer"]
    assert with_tiles["layers"][:len(tiles)] == tiles and 1 <= len(tiles) <= geo.MAX_TILES  # underneath
    assert all(t["image"].startswith("http://tiles.intranet/") and "{" not in t["image"] for t in tiles)
    # Together the tiles cover the county.
    west, south, east, north = data.box
    assert min(t["bounds"][0] for t in tiles) <= west and max(t["bounds"][2] for t in tiles) >= east
    assert min(t["bounds"][1] for t in tiles) <= south and max(t["bounds"][3] for t in tiles) >= north


def test_tile_addresses_follow_the_slippy_map_scheme() -> None:
    # Tile 10/809/421 spans 104.41–104.77 E, 30.14–30.45 N (web-mercator XYZ).
    assert geo._tile_xy(104.5, 30.3, 10) == (809, 421)
    west, south, east, north = geo._tile_bounds(809, 421, 10)
    assert west == pytest.approx(104.4140625) and east == pytest.approx(104.765625)
    assert south < 30.3 < north and north - south == pytest.approx(0.3035, abs=1e-3)


def test_tile_url_from_environment_or_setting(engine, monkeypatch) -> None:
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    with session_scope(engine) as s:
        assert geo.tile_url(s) is None
        s.add(m.Setting(key="map_tile_url", value="http://10.0.0.5/tiles/{z}/{x}/{y}.png"))
        s.flush()
        assert geo.tile_url(s) == "http://10.0.0.5/tiles/{z}/{x}/{y}.png"
        monkeypatch.setenv("MAP_TILE_URL", "http://gis.local/{z}/{x}/{y}.png")
        assert geo.tile_url(s) == "http://gis.local/{z}/{x}/{y}.png"


# --- province scale ------------------------------------------------------------------------------

@pytest.fixture
def province(engine):  # noqa: ANN001, ANN201
    from sample_data.generate import generate

    generate(engine, counties=12, quarters=4)
    return engine


def test_province_map_aggregates_points_per_county(province) -> None:
    with session_scope(province) as s:
        period = ix.default_period(s)
        data = geo.build_map(s, period, "room_coverage")
        total = s.scalar(select(func.count()).select_from(m.ServicePoint)
                         .where(m.ServicePoint.opened_on <= period.end_date,
                                or_(m.ServicePoint.retired_on.is_(None),
                                    m.ServicePoint.retired_on > period.end_date)))
        counties = ix.regions_at(s, ix.root_region(s).code, "county")
        county = geo.build_map(s, period, "room_coverage", area_code=counties[0].code)
    assert data.scale == "province" and data.points == {} and len(data.bubbles) == 12
    assert sum(b["n"] for b in data.bubbles) == data.point_count == total
    assert len(data.fills) == 12
    size = geo.payload_bytes(geo.deck(data))
    county_size = geo.payload_bytes(geo.deck(county))
    print(f"\nprovince (12 counties) payload: {size:,} bytes; one county of it: {county_size:,} bytes")
    assert size < 200_000 and county_size < 1_000_000
    assert county.scale == "county" and sum(len(v) for v in county.points.values()) == county.point_count
    assert max(b["r"] for b in data.bubbles) == 18.0


def test_province_summary_is_per_county(province) -> None:
    from data_access import coverage

    with session_scope(province) as s:
        period = ix.default_period(s)
        summary = coverage.coverage_summary(s, period)
        counties = ix.regions_at(s, ix.root_region(s).code, "county")
        values = ix.indicator_values(s, [period], counties, ["room_coverage"])
    assert len(summary) == 13 and summary.iloc[-1]["township"] == "示例省合计"
    assert summary.iloc[:-1]["room_coverage.n"].tolist() == [int(v) for v in values.sort_values("region_id")["numerator"]]


def test_huge_county_falls_back_to_township_bubbles(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        data = geo.build_map(s, ix.period_by_code(s, "2026Q3"), aggregate_above=50)
    assert data.points == {} and len(data.bubbles) == 13
    assert sum(b["n"] for b in data.bubbles) == data.point_count
