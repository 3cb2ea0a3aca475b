"""Service-point registry: listing and search on the sample county; add/edit/retire with permission,
audit and data version on a fresh copy; gaps against the database; Excel formula safety. Both backends."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import pandas as pd

from data_access import coverage, db
from data_access import indicators as ix
from data_access import models as m
from data_access import registry
from data_access.access import Actor, PermissionDenied
from data_access.db import session_scope

ADMIN = Actor(user_id=None, username="admin", role="admin")
LEADER = Actor(user_id=None, username="leader", role="leader")
TODAY = dt.date(2026, 11, 23)


def _counts(engine) -> tuple[int, int, int]:  # noqa: ANN001
    with session_scope(engine) as s:
        return (s.scalar(select(func.count()).select_from(m.ServicePoint)),
                s.scalar(select(func.count()).select_from(m.AuditEntry)), db.data_version(engine))


def _gap_village(s) -> m.Region:  # noqa: ANN001
    """The most populous village without a room in 2026Q3."""
    gaps = coverage.gaps(s, ix.period_by_code(s, "2026Q3"), "room_coverage")
    return ix.region_by_code(s, gaps.iloc[0]["code"])


def _room_coverage(s, region: m.Region, period: str) -> tuple[float, float]:  # noqa: ANN001
    row = ix.indicator_values(s, [ix.period_by_code(s, period)], [region], ["room_coverage"]).iloc[0]
    return row["numerator"], row["denominator"]


# --- reading --------------------------------------------------------------------------------------

def test_list_search_and_filters(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        everything = registry.points_frame(s)
        total = s.scalar(select(func.count()).select_from(m.ServicePoint))
        chengguan = registry.points_frame(s, township_code="990101006")
        rooms = registry.points_frame(s, types=["village_room"])
        found = registry.points_frame(s, query="砖厂")
        english = registry.points_frame(s, lang="en", query="hotline")
    assert len(everything) == total
    assert set(chengguan["township"]) == {"城关镇"} and len(chengguan) > 20
    assert set(rooms["type"]) == {"village_room"} and rooms["village"].str.endswith(("村", "社区")).all()
    assert found["name"].tolist() == ["南湖砖厂企业爱心驿站"]
    assert english["type_label"].tolist() == ["24-hour hotline"]


def _python_search(frame, needle: str):  # noqa: ANN001, ANN202
    """The list's search as the page used to do it, in Python over every row (the reference)."""
    hay = (frame["code"] + " " + frame["name_zh"] + " " + frame["name_en"] + " " + frame["township"] + " "
           + frame["village"] + " " + frame["facility"]).str.lower()
    return frame[hay.str.contains(needle.lower(), regex=False)]


def test_search_in_the_database_finds_what_the_list_shows(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        for lang in ("zh", "en"):
            everything = registry.points_frame(s, lang)
            for needle in ("砖厂", "城关", "和安", "HOTLINE", "Village", "0101", "%", "_", "站 ", "心理"):
                page, total = registry.points_page(s, lang, query=needle)
                expected = _python_search(everything, needle.strip())
                assert page["code"].tolist() == expected["code"].tolist(), (lang, needle)
                assert total == len(expected)


def test_pages_cover_the_list_once_in_order(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        everything = registry.points_frame(s, statuses=["active", "building"])
        pages, offset = [], 0
        while True:
            page, total = registry.points_page(s, statuses=["active", "building"], offset=offset, limit=40)
            assert total == len(everything)
            if page.empty:
                break
            assert len(page) <= 40
            pages.extend(page["code"])
            offset += 40
        assert pages == everything["code"].tolist()
        unknown, total = registry.points_page(s, township_code="no-such-township")
        assert unknown.empty and total == 0


def test_point_detail_names_its_place(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        sp = s.scalar(select(m.ServicePoint).where(m.ServicePoint.type == "school_room").limit(1))
        detail = registry.point_detail(s, sp.id)
    assert detail["township"] and detail["facility"].endswith(("小学", "中学", "学校"))
    # Its one entry: the sample generator registering it, as an import would (registry.add_points).
    assert [(h["action"], h["username"]) for h in detail["history"]] == [("registry.add", "sample_data")]


def test_gaps_are_the_complement_of_coverage_sorted_by_population(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        root = ix.root_region(s)
        values = ix.indicator_values(s, [period], [root], ["room_coverage", "school_rooms"])
        villages = coverage.gaps(s, period, "room_coverage")
        schools = coverage.gaps(s, period, "school_rooms")
        beishan = coverage.gaps(s, period, "room_coverage", township_code="990101001")
        summary = coverage.coverage_summary(s, period)
    by = {r.indicator: r for r in values.itertuples()}
    assert len(villages) == by["room_coverage"].denominator - by["room_coverage"].numerator == 23
    assert len(schools) == by["school_rooms"].denominator - by["school_rooms"].numerator
    assert villages["population"].is_monotonic_decreasing and schools["population"].is_monotonic_decreasing
    assert set(beishan["township"]) == {"北山乡"} and len(beishan) == 7
    total = summary.iloc[-1]
    assert total["township"] == "和安县合计" and (total["room_coverage.n"], total["room_coverage.d"]) == (157, 180)
    assert summary.iloc[:-1]["room_coverage.d"].sum() == 180


# --- writing --------------------------------------------------------------------------------------

def test_add_point_closes_a_gap_with_audit_and_version(county) -> None:
    points, audits, version = _counts(county)
    with session_scope(county) as s:
        village = _gap_village(s)
        before = _room_coverage(s, village.parent, "2026Q3")
        sp = registry.add_point(s, ADMIN, dict(
            type="village_room", name_zh=f"{village.name_zh}心理咨询室", township=village.parent.name_zh,
            village=village.code, lon=village.centroid_lon, lat=village.centroid_lat, opened_on="2026-09-01",
            staff_full=1, staff_part="2"), today=TODAY)
        code = sp.code
    assert _counts(county) == (points + 1, audits + 1, version + 1)
    with session_scope(county) as s:
        after = _room_coverage(s, village.parent, "2026Q3")
        earlier = _room_coverage(s, village.parent, "2026Q2")  # opened after 2026Q2 ended
        entry = s.scalar(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(1))
    assert after == (before[0] + 1, before[1]) and earlier[0] <= before[0]
    assert entry.action == "registry.add" and entry.entity_id == code and entry.before is None
    assert entry.after["opened_on"] == "2026-09-01" and entry.after["staff_part"] == 2


def test_bad_entries_change_nothing_and_say_why_in_chinese(county) -> None:
    counts = _counts(county)
    with session_scope(county) as s:
        with pytest.raises(registry.RegistryError) as err:
            registry.add_point(s, ADMIN, dict(type="village_room", name_zh="测试室", township="月亮乡",
                                              lon=14.3, lat=30.2, opened_on="2027-01-05"), today=TODAY)
    messages = err.value.messages("zh")
    assert any("月亮乡" in msg and "不在本县" in msg for msg in messages)
    assert any("2027-01-05" in msg and "晚于今天" in msg for msg in messages)
    with session_scope(county) as s:
        with pytest.raises(registry.RegistryError) as err:
            registry.add_point(s, ADMIN, dict(type="school_room", name_zh="测试辅导室", township="城关",
                                              lon=14.3, lat=30.2, opened_on="2026-01-05"), today=TODAY)
    messages = err.value.messages("zh")
    assert any("不在和安县范围内" in msg for msg in messages)       # the typo'd longitude
    assert any("须选择所属学校" in msg for msg in messages)
    assert "outside" in " ".join(err.value.messages("en"))
    with session_scope(county) as s:
        with pytest.raises(registry.RegistryError) as err:
            registry.add_point(s, ADMIN, dict(type="grid_point", name_zh="测试点", township="990101001", lon="104.3",
                                              lat="", opened_on="2026-01-05", staff_full=-1), today=TODAY)
    keys = [k for k, _ in err.value.problems]
    assert keys == ["registry.error.coordinates_pair", "registry.error.bad_count"]
    assert _counts(county) == counts


def test_only_an_administrator_may_change_the_registry(county) -> None:
    counts = _counts(county)
    entry = dict(type="grid_point", name_zh="测试点", township="城关镇", opened_on="2026-01-05")
    with session_scope(county) as s:
        with pytest.raises(PermissionDenied) as denied:
            registry.add_point(s, LEADER, entry, today=TODAY)
        assert denied.value.key == "access.denied"
        with pytest.raises(PermissionDenied) as signed_out:
            registry.retire_point(s, None, 1, TODAY, today=TODAY)
        assert signed_out.value.key == "access.signed_out"
    assert _counts(county) == counts


def test_edit_records_before_and_after(county) -> None:
    with session_scope(county) as s:
        sp = s.scalar(select(m.ServicePoint).where(m.ServicePoint.name_zh == "南湖砖厂企业爱心驿站"))
        point_id, bad_lon = sp.id, sp.lon
        nanhu = ix.region_by_code(s, "990101008")
    _, audits, version = _counts(county)
    with session_scope(county) as s:
        registry.edit_point(s, ADMIN, point_id, dict(lon=nanhu.centroid_lon, lat=nanhu.centroid_lat, staff_part=3),
                            today=TODAY)
    with session_scope(county) as s:
        entry = s.scalar(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(1))
        sp = s.get(m.ServicePoint, point_id)
        assert (sp.lon, sp.staff_part) == (nanhu.centroid_lon, 3)
        # Saving the same values again is not a change: no audit row, no version bump.
        registry.edit_point(s, ADMIN, point_id, dict(staff_part=3), today=TODAY)
    assert entry.action == "registry.edit" and entry.before["lon"] == bad_lon
    assert entry.after["lon"] == nanhu.centroid_lon and entry.after["staff_part"] == 3
    assert _counts(county)[1:] == (audits + 1, version + 1)
    with session_scope(county) as s:
        with pytest.raises(registry.RegistryError) as err:
            registry.edit_point(s, ADMIN, point_id, dict(township="990101001"), today=TODAY)
    assert err.value.problems[0][0] == "registry.error.outside_township"


def test_retire_is_a_soft_delete_and_history_holds(county) -> None:
    with session_scope(county) as s:
        room = s.scalar(select(m.ServicePoint).join(m.Region)
                        .where(m.ServicePoint.type == "village_room", m.ServicePoint.opened_on < dt.date(2025, 1, 1),
                               m.Region.code.like("990101001%")).order_by(m.ServicePoint.id).limit(1))
        point_id, township = room.id, ix.region_by_code(s, "990101001")
        q2, q3 = _room_coverage(s, township, "2026Q2"), _room_coverage(s, township, "2026Q3")
        with pytest.raises(registry.RegistryError) as err:
            registry.retire_point(s, ADMIN, point_id, "2026-12-01", today=TODAY)
        assert "晚于今天" in err.value.messages("zh")[0]
    with session_scope(county) as s:
        registry.retire_point(s, ADMIN, point_id, dt.date(2026, 8, 15), reason="村委会搬迁", today=TODAY)
    with session_scope(county) as s:
        sp = s.get(m.ServicePoint, point_id)
        assert sp is not None and sp.status == "retired" and sp.retired_on == dt.date(2026, 8, 15)
        # Coverage before the date still counts it; the quarter it retired in does not.
        assert _room_coverage(s, township, "2026Q2") == q2
        assert _room_coverage(s, township, "2026Q3") == (q3[0] - 1, q3[1])
        entry = s.scalar(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(1))
        assert entry.action == "registry.retire" and entry.detail == "村委会搬迁"
        assert entry.before["retired_on"] is None and entry.after["retired_on"] == "2026-08-15"
        assert registry.point_detail(s, point_id)["history"][-1]["action"] == "registry.retire"
        with pytest.raises(registry.RegistryError):
            registry.edit_point(s, ADMIN, point_id, dict(staff_part=1), today=TODAY)


def test_writes_that_would_move_an_approved_quarter_are_refused(county) -> None:
    """The sample approves 2024Q4 and 2025Q1: a back-dated opening, retirement or re-typing would
    change figures the leading group signed off, so it is refused and nothing changes; the same
    change dated after the approved quarters, or after unlocking them, goes in."""
    from data_access import approval

    with session_scope(county) as s:
        village = _gap_village(s)
        township = village.parent
        signed = {p: _room_coverage(s, township, p) for p in ("2024Q4", "2025Q1")}
        rooms = s.scalars(select(m.ServicePoint).join(m.Region)
                          .where(m.ServicePoint.type == "village_room", m.ServicePoint.opened_on < dt.date(2024, 6, 1),
                                 m.ServicePoint.retired_on.is_(None), m.Region.path.like(f"{township.path}%"))
                          .order_by(m.ServicePoint.id)).all()
        per_village = {r.region_id: sum(o.region_id == r.region_id for o in rooms) for r in rooms}
        room_id = next(r.id for r in rooms if per_village[r.region_id] == 1)  # its village's only room
    counts = _counts(county)
    entry = dict(type="village_room", name_zh=f"{village.name_zh}补登心理咨询室", township=township.code,
                 village=village.code, opened_on="2024-06-01")
    attempts = [
        lambda s: registry.add_point(s, ADMIN, entry, today=TODAY),
        lambda s: registry.add_points(s, ADMIN, [entry], today=TODAY),
        lambda s: registry.retire_point(s, ADMIN, room_id, "2025-02-01", today=TODAY),
        lambda s: registry.edit_point(s, ADMIN, room_id, dict(type="grid_point"), today=TODAY),
        lambda s: registry.edit_point(s, ADMIN, room_id, dict(opened_on="2025-02-01"), today=TODAY),
    ]
    for attempt in attempts:
        with session_scope(county) as s:
            with pytest.raises(registry.RegistryError) as err:
                attempt(s)
        text = " ".join(err.value.messages("zh"))
        assert ("2024Q4" in text or "2025Q1" in text) and "已审核" in text and "解锁" in text, text
        assert "approved quarters" in " ".join(err.value.messages("en"))
    assert _counts(county) == counts
    with session_scope(county) as s:
        assert {p: _room_coverage(s, township, p) for p in signed} == signed
        # What does not move a signed figure still goes in: a phone number, an opening after 2025Q1.
        registry.edit_point(s, ADMIN, room_id, dict(phone="0551-7654321"), today=TODAY)
        registry.add_point(s, ADMIN, {**entry, "opened_on": "2025-04-01"}, today=TODAY)
    with session_scope(county) as s:
        assert {p: _room_coverage(s, township, p) for p in signed} == signed
    for code in ("2024Q4", "2025Q1"):
        approval.unlock(county, ADMIN, code, "补登漏报的心理咨询室")
    with session_scope(county) as s:
        registry.retire_point(s, ADMIN, room_id, "2025-02-01", today=TODAY)
    with session_scope(county) as s:
        assert _room_coverage(s, township, "2024Q4") == signed["2024Q4"]   # it was in service then
        assert _room_coverage(s, township, "2025Q1") == (signed["2025Q1"][0] - 1, signed["2025Q1"][1])


# --- Excel ---------------------------------------------------------------------------------------

def test_excel_export_neutralises_formulas() -> None:
    frame = pd.DataFrame([{"村（社区）": "=HYPERLINK(\"http://x\",\"点我\")", "备注": "+1", "人口": 3200},
                          {"村（社区）": "@SUM(A1)", "备注": "-2", "人口": 100},
                          {"村（社区）": "张家村", "备注": "正常", "人口": 50}])
    data = registry.gaps_workbook({"无室村（社区）": frame})
    ws = load_workbook(io.BytesIO(data))["无室村（社区）"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["村（社区）", "备注", "人口"]
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"点我\")", "'+1", 3200]
    assert rows[2] == ["'@SUM(A1)", "'-2", 100] and rows[3] == ["张家村", "正常", 50]
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
