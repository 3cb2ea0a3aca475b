"""Coverage map page (AppTest): coverage per township and the gaps against the database, URL
parameters, filters, data problems, English, and a map spec with no external address."""
from __future__ import annotations

import json

from sqlalchemy import or_, select

from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope
from helpers import open_page, signed_in

ROOMS = ("village_room", "social_work_room")


def _rooms_per_township(engine, period_code: str) -> dict[str, tuple[int, int]]:  # noqa: ANN001
    """Independent of data_access.indicators: villages with a room in service at the period end."""
    with session_scope(engine) as s:
        end = ix.period_by_code(s, period_code).end_date
        open_room = (select(m.ServicePoint.region_id).where(
            m.ServicePoint.type.in_(ROOMS), m.ServicePoint.opened_on <= end,
            or_(m.ServicePoint.retired_on.is_(None), m.ServicePoint.retired_on > end)))
        out: dict[str, tuple[int, int]] = {}
        with_room = set(s.scalars(open_room))
        for tw in s.scalars(select(m.Region).where(m.Region.level == "township")):
            ids = list(s.scalars(select(m.Region.id).where(m.Region.parent_id == tw.id, m.Region.level == "village")))
            out[tw.name_zh] = (sum(i in with_room for i in ids), len(ids))
        return out


def _frame_with(at, column: str):  # noqa: ANN001, ANN202
    return next(df.value for df in at.dataframe if column in df.value.columns)


ROOM_COLUMN = "村（社区）心理咨询室或社会工作室建成率"  # room_coverage's own name heads its column


def _cell(text: str) -> tuple[str, int, int]:
    """"87.2%（157 / 180）" -> ("87.2%", 157, 180)."""
    value, rest = text.split("（")
    num, den = rest.rstrip("）").split(" / ")
    return value, int(num.replace(",", "")), int(den.replace(",", ""))


def test_map_shows_coverage_per_township_from_the_database(app_engine) -> None:
    at = open_page("pages/map.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    assert at.selectbox(key="map_period").value == "2026Q3"
    summary = _frame_with(at, ROOM_COLUMN)
    expected = _rooms_per_township(app_engine, "2026Q3")
    shown = {r["乡镇（街道）"]: _cell(r[ROOM_COLUMN])[1:] for _, r in summary.iterrows()}
    for township, counts in expected.items():
        assert shown[township] == counts, township
    total = summary.iloc[-1]
    rooms, villages = sum(v[0] for v in expected.values()), sum(v[1] for v in expected.values())
    assert total["乡镇（街道）"] == "和安县合计" and _cell(total[ROOM_COLUMN])[1:] == (rooms, villages)
    assert _cell(total[ROOM_COLUMN])[0] == f"{rooms / villages * 100:.1f}%"
    # The school and hospital share rules have their columns too, named by the indicators.
    assert {"中小学心理辅导室设置率", "主要医院心理门诊开设率"} <= set(summary.columns)
    # Gaps: the villages without a room, largest first, and a download.
    assert any(md.value == f"**{ROOM_COLUMN}：尚未覆盖的村（社区） {villages - rooms} 个**" for md in at.markdown)
    # One list per share rule: the listed hospitals' one says how many lack a clinic, and a list
    # with nothing in it says so instead of an empty table.
    with session_scope(app_engine) as s:
        row = ix.indicator_values(s, [ix.period_by_code(s, "2026Q3")], [ix.root_region(s)],
                                  ["hospital_clinics"]).iloc[0]
    missing = int(row["denominator"] - row["numerator"])
    assert any(md.value == f"**主要医院心理门诊开设率：尚未覆盖的医院 {missing} 个**" for md in at.markdown)
    assert any(c.value == "没有缺口。" for c in at.caption) == (missing == 0)
    gaps = _frame_with(at, "村（社区）")
    assert len(gaps) == villages - rooms and gaps["常住人口"].is_monotonic_decreasing
    assert at.get("download_button")
    # Data problems: two points without coordinates and one outside the county, listed, not drawn.
    problems = [e for e in at.expander if e.label.startswith("数据问题")][0]
    assert problems.label == "数据问题：3 个服务阵地坐标缺失或有误"
    listed = _frame_with(at, "问题")
    assert sorted(listed["问题"]) == ["坐标不在本县范围内", "缺少坐标", "缺少坐标"]
    spec = at.get("deck_gl_json_chart")[0].proto.json
    assert "http" not in spec and json.loads(spec)["mapStyle"] == "__MAP_STYLE__"
    assert "南湖砖厂企业爱心驿站" not in spec and "柳溪乡集镇网格服务点" not in spec
    assert len(spec.encode()) < 1_000_000


def test_period_and_township_from_the_url(app_engine) -> None:
    at = open_page("pages/map.py", query={"period": "2025Q2", "township": "990101001"},
                   state=signed_in(app_engine, "leader"))
    assert not at.exception
    assert at.selectbox(key="map_period").value == "2025Q2"
    assert at.selectbox(key="map_township").value == "990101001"
    expected = _rooms_per_township(app_engine, "2025Q2")
    summary = _frame_with(at, ROOM_COLUMN)
    row = summary[summary["乡镇（街道）"] == "北山乡"].iloc[0]
    assert _cell(row[ROOM_COLUMN])[1:] == expected["北山乡"]
    rooms, villages = expected["北山乡"]
    assert any(md.value == f"**{ROOM_COLUMN}：尚未覆盖的村（社区） {villages - rooms} 个**" for md in at.markdown)
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    points = [p for layer in spec["layers"] if layer["id"].startswith("points-") for p in layer["data"]]
    assert points and all("北山乡" in p["tip"] for p in points)


def test_filters_colouring_and_english(app_engine) -> None:
    at = open_page("pages/map.py", lang="en", state=signed_in(app_engine, "leader"))
    assert not at.exception
    at.selectbox(key="map_colour").set_value("status:smd_managed").run()
    at.multiselect(key="map_types").set_value(["township_station"]).run()
    assert not at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = [layer["id"] for layer in spec["layers"]]
    assert layers == ["fills", "outlines", "points-township_station", "labels"]
    assert len(spec["layers"][2]["data"]) == 13
    assert "Type: Township station" in spec["layers"][2]["data"][0]["tip"]
    assert {"Beishan", "Hean EDZ"} <= {label["t"] for label in spec["layers"][3]["data"]}
    assert any("Met (≥ 90%)" in md.value for md in at.markdown)
    assert [e for e in at.expander if e.label.startswith("Data problems: 3")]
    assert "Villages/communities with a counselling or social-work room" in _frame_with(at, "Township").columns


def _path_of(node, kind: str, path: tuple = ()):  # noqa: ANN001, ANN202
    """The position of the first element of `kind` in the page's element tree (block indices)."""
    if getattr(node, "type", None) == kind:
        return path
    for index, child in sorted(getattr(node, "children", {}).items()):
        found = _path_of(child, kind, path + (index,))
        if found is not None:
            return found
    return None


def test_the_map_keeps_its_place_whatever_is_chosen(app_engine) -> None:  # noqa: ANN001
    # The browser builds a new WebGL map (~2 s) when anything above it appears or disappears; the
    # map must sit at the same place in the page for every colouring, shading and township.
    at = open_page("pages/map.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    where = _path_of(at._tree, "deck_gl_json_chart")
    assert where is not None
    seen_shading = False
    for colouring in _colourings(app_engine):
        at.selectbox(key="map_colour").set_value(colouring).run()
        assert not at.exception
        assert _path_of(at._tree, "deck_gl_json_chart") == where, colouring
        shading = [r for r in at.radio if r.key == "map_shade"]
        if shading:
            seen_shading = True
            shading[0].set_value("township").run()
            assert _path_of(at._tree, "deck_gl_json_chart") == where, (colouring, "township shading")
    assert seen_shading
    at.selectbox(key="map_township").set_value("990101002").run()
    assert _path_of(at._tree, "deck_gl_json_chart") == where


def _colourings(engine) -> list[str]:  # noqa: ANN001
    from data_access import geo

    with session_scope(engine) as s:
        return [c.code for c in geo.colourings(s)]


def _township_tips(at) -> dict[str, str]:  # noqa: ANN001
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    fills = next(layer for layer in spec["layers"] if layer["id"] == "fills")["data"]
    return {f["code"]: f["tip"] for f in fills if f["level"] == "township"}


def test_display_account_map_hides_small_counts_in_every_status_colouring(app_engine) -> None:  # noqa: ANN001
    # The issue: colour by 达标状态, hover the industrial park (864 residents): 100.0%（5 / 5）.
    from data_access import geo

    park = "990101013"
    leader = open_page("pages/map.py", state=signed_in(app_engine, "leader"))
    leader.selectbox(key="map_colour").set_value("status:smd_managed").run()
    assert "（5 / 5）" in _township_tips(leader)[park]
    assert not any("不公开" in c.value for c in leader.caption)

    at = open_page("pages/map.py", state=signed_in(app_engine, "display"))
    assert not at.exception
    assert any("不公开" in c.value for c in at.caption)
    reported = [c for c in _colourings(app_engine) if c.startswith("status:") and c.split(":")[1] in
                ("special_counselling", "smd_managed", "rehab_participation", "awareness_urban", "awareness_rural")]
    for colouring in reported:
        at.selectbox(key="map_colour").set_value(colouring).run()
        assert not at.exception, colouring
        spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
        tips = _township_tips(at)
        fills = {f["code"]: f["f"] for f in next(l for l in spec["layers"] if l["id"] == "fills")["data"]}
        if colouring.split(":")[1] in ("special_counselling", "smd_managed", "rehab_participation"):
            assert tips[park].endswith("：*\n（* / *）"), (colouring, tips[park])
            assert fills[park] == geo.status_colour("no_data"), colouring
        for code, tip in tips.items():
            if "：*" in tip:
                assert fills[code] == geo.status_colour("no_data"), (colouring, code)


def test_a_county_s_own_share_rules_replace_the_sample_s_on_every_panel(writable_app) -> None:  # noqa: ANN001
    # A county retires room_coverage and school_rooms and counts its own point type instead.
    from helpers import youth_station_county

    villages = youth_station_county(writable_app)
    at = open_page("pages/map.py", state=signed_in(writable_app, "leader"))
    assert not at.exception
    colour = at.selectbox(key="map_colour")
    # The share rules in use, in catalogue order: the sample's hospital clinics, then the new one.
    assert colour.options[:2] == ["主要医院心理门诊开设率", "村（社区）青少年心理驿站覆盖率"]
    assert not any("建成率" in o or "中小学" in o for o in colour.options)
    colour.set_value("youth_villages").run()
    assert not at.exception
    summary = _frame_with(at, "村（社区）青少年心理驿站覆盖率")
    assert ROOM_COLUMN not in summary.columns and "中小学心理辅导室设置率" not in summary.columns
    assert summary.iloc[-1]["村（社区）青少年心理驿站覆盖率"] == "2.8%（5 / 180）"
    north = summary[summary["乡镇（街道）"] == "北山乡"].iloc[0]["村（社区）青少年心理驿站覆盖率"]
    assert _cell(north)[1] == 5
    assert any(md.value == "**村（社区）青少年心理驿站覆盖率：尚未覆盖的村（社区） 175 个**" for md in at.markdown)
    assert not any(ROOM_COLUMN in md.value for md in at.markdown)
    # Villages are shaded by the new rule: the five with a station are the "has" colour.
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    fills = next(layer for layer in spec["layers"] if layer["id"] == "fills")["data"]
    has = {f["code"] for f in fills if f["level"] == "village" and "已有青少年心理驿站" in f["tip"]}
    assert has == set(villages)
    assert any("尚无青少年心理驿站" in md.value for md in at.markdown)   # the legend
