"""Registry page (AppTest): counts and search against the database; read-only for a leader; an
administrator adds and retires points through the forms, and a bad entry changes nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope
from helpers import open_page, signed_in


def _count(engine, *where) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(m.ServicePoint).where(*where))


def _frame_with(at, column: str):  # noqa: ANN001, ANN202
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_leader_reads_the_registry(app_engine) -> None:
    at = open_page("pages/registry.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    in_use = _count(app_engine, m.ServicePoint.status.in_(("active", "building")))
    assert any(md.value == f"共 {in_use} 个服务阵地" for md in at.markdown)
    # The list comes a page at a time; the pages together are the registry in code order.
    with session_scope(app_engine) as s:
        codes = list(s.scalars(select(m.ServicePoint.code).where(m.ServicePoint.status.in_(("active", "building")))
                               .order_by(m.ServicePoint.code)))
    assert in_use > 200 and len(codes) == in_use
    shown = _frame_with(at, "启用日期")["编码"].tolist()
    assert shown == codes[:100]
    assert any(c.value == f"第 1–100 个，共 {in_use} 个" for c in at.caption)
    for page in (2, 3):
        _go_to_page(at, page)
        assert not at.exception
        shown += _frame_with(at, "启用日期")["编码"].tolist()
    assert shown == codes
    assert any(c.value == f"第 201–{in_use} 个，共 {in_use} 个" for c in at.caption)
    # The point picker offers the points of the page shown, not the whole registry.
    assert at.selectbox(key="reg_selected").options[1:] == [
        f"{r.code} · {r.name}" for r in _points(app_engine, codes[200:])]
    assert at.caption[0].value.startswith("全县各类心理服务阵地") and any("仅限管理员" in c.value for c in at.caption)
    assert not [e for e in at.expander if e.label == "新增服务阵地"]
    at.text_input(key="reg_query").set_value("心理服务站").run()
    at.selectbox(key="reg_township").set_value("990101002").run()
    frame = _frame_with(at, "启用日期")
    assert frame["名称"].tolist() == ["黄岭乡社会心理服务站"] and frame["启用日期"].iloc[0] == "2026-05-12"
    at.selectbox(key="reg_selected").set_value(_ids(app_engine, "黄岭乡社会心理服务站")[0]).run()
    assert not at.exception
    detail = _frame_with(at, " ")
    assert {"乡镇（街道）社会心理服务站", "黄岭乡", "2026-05-12"} <= set(detail[" "].tolist())


def _go_to_page(at, page: int) -> None:  # noqa: ANN001
    """Click page `page` of the registry's page picker (its key follows the filters)."""
    widget = at.get("pagination")[0].proto
    at.session_state[widget.id.split("-", 2)[-1]] = page
    at.run()


def _points(engine, codes: list[str]) -> list:  # noqa: ANN001
    with session_scope(engine) as s:
        return list(s.execute(select(m.ServicePoint.code, m.ServicePoint.name_zh.label("name"))
                              .where(m.ServicePoint.code.in_(codes)).order_by(m.ServicePoint.code)))


def _ids(engine, name_zh: str) -> list[int]:  # noqa: ANN001
    with session_scope(engine) as s:
        return list(s.scalars(select(m.ServicePoint.id).where(m.ServicePoint.name_zh == name_zh)))


def test_english_registry(app_engine) -> None:
    at = open_page("pages/registry.py", lang="en", state=signed_in(app_engine, "leader"))
    assert not at.exception
    at.multiselect(key="reg_types").set_value(["hotline"]).run()
    frame = _frame_with(at, "Opened")
    assert frame["Type"].tolist() == ["24-hour hotline"] and frame["Name"].iloc[0].endswith("24-hour Hotline")


def test_admin_adds_a_room_and_coverage_moves(writable_app) -> None:
    with session_scope(writable_app) as s:
        village = s.scalar(select(m.Region).where(m.Region.code == "990101001001"))
        village_code, township_code = village.code, village.parent.code
        lon, lat = village.centroid_lon, village.centroid_lat
    before_points = _count(writable_app)
    at = open_page("pages/registry.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert [e for e in at.expander if e.label == "新增服务阵地"]
    at.selectbox(key="reg_add_type").set_value("grid_point").run()
    at.selectbox(key="reg_add_township").set_value(township_code).run()
    at.selectbox(key="reg_add_village").set_value(village_code).run()
    at.text_input(key="reg_add_name_zh").set_value("测试网格服务点")
    # A slip in the longitude: refused in Chinese, nothing saved.
    at.text_input(key="reg_add_lon").set_value(str(lon - 90))
    at.text_input(key="reg_add_lat").set_value(str(lat))
    at.date_input(key="reg_add_opened").set_value(dt.date(2026, 10, 8))
    at.button(key="reg_add_save").click().run()
    assert not at.exception
    assert any("不在和安县范围内" in e.value for e in at.error)
    assert _count(writable_app) == before_points
    at.text_input(key="reg_add_lon").set_value(str(lon))
    at.button(key="reg_add_save").click().run()
    assert not at.exception and not at.error
    assert any(s.value == "已保存：测试网格服务点" for s in at.success)
    assert _count(writable_app) == before_points + 1
    with session_scope(writable_app) as s:
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "registry.add",
                                                    m.AuditEntry.username != "sample_data"))
        assert entry.username == "admin" and entry.after["name_zh"] == "测试网格服务点"


def test_admin_retires_a_room_and_the_map_counts_it_no_longer(writable_app) -> None:
    with session_scope(writable_app) as s:
        room = s.scalar(select(m.ServicePoint).join(m.Region)
                        .where(m.ServicePoint.type == "village_room", m.Region.code.like("990101001%"),
                               m.ServicePoint.opened_on < dt.date(2025, 1, 1)).order_by(m.ServicePoint.id).limit(1))
        room_id, room_name = room.id, room.name_zh
        township = ix.region_by_code(s, "990101001")
        before = ix.indicator_values(s, [ix.period_by_code(s, "2026Q3")], [township], ["room_coverage"]).iloc[0]
    at = open_page("pages/registry.py", state=signed_in(writable_app, "admin"))
    at.text_input(key="reg_query").set_value(room_name).run()  # an admin finds the point first
    at.selectbox(key="reg_selected").set_value(room_id).run()
    assert [e for e in at.expander if e.label == "撤销所选阵地"]
    at.date_input(key=f"reg_retire_date_{room_id}").set_value(dt.date(2026, 9, 1))
    at.text_input(key=f"reg_retire_reason_{room_id}").set_value("村部改建")
    at.button(key=f"reg_retire_{room_id}").click().run()
    assert not at.exception and not at.error
    assert any(s.value == f"已撤销：{room_name}（2026-09-01）" for s in at.success)
    with session_scope(writable_app) as s:
        sp = s.get(m.ServicePoint, room_id)
        assert (sp.status, sp.retired_on) == ("retired", dt.date(2026, 9, 1))
    # The map reads the same registry: 北山乡 has one room fewer in 2026Q3.
    at = open_page("pages/map.py", state=signed_in(writable_app, "leader"))
    room_column = "村（社区）心理咨询室或社会工作室建成率"   # room_coverage's column, by its name
    summary = _frame_with(at, room_column)
    row = summary[summary["乡镇（街道）"] == "北山乡"].iloc[0]
    counts = row[room_column].split("（")[1].rstrip("）").split(" / ")
    assert (int(counts[0]), int(counts[1])) == (before["numerator"] - 1, before["denominator"])


def test_admin_fixes_a_data_problem_through_the_edit_form(writable_app) -> None:
    with session_scope(writable_app) as s:
        sp = s.scalar(select(m.ServicePoint).where(m.ServicePoint.name_zh == "南湖砖厂企业爱心驿站"))
        point_id, lon = sp.id, sp.lon
    at = open_page("pages/registry.py", state=signed_in(writable_app, "admin"))
    at.text_input(key="reg_query").set_value("砖厂").run()
    at.selectbox(key="reg_selected").set_value(point_id).run()
    prefix = f"reg_edit_{point_id}"
    assert at.text_input(key=f"{prefix}_lon").value == str(lon)
    at.text_input(key=f"{prefix}_lon").set_value(str(round(lon + 90, 5)))
    at.button(key=f"{prefix}_save").click().run()
    assert not at.exception and not at.error
    assert any(s.value == "已保存：南湖砖厂企业爱心驿站" for s in at.success)
    at = open_page("pages/map.py", state=signed_in(writable_app, "leader"))
    assert [e for e in at.expander if e.label == "数据问题：2 个服务阵地坐标缺失或有误"]
    assert "南湖砖厂企业爱心驿站" in at.get("deck_gl_json_chart")[0].proto.json
