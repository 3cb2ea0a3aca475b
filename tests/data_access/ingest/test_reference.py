"""Bulk import of the service-point registry and of villages/communities (data_access/ingest/reference.py),
on SQLite and PostgreSQL: the downloaded list goes back unchanged, messy sheets are read, every problem
is reported at once with its cell, and a file with any error (or a stale one) changes nothing."""
from __future__ import annotations

import datetime as dt
import io
from typing import Iterator

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from data_access import models as m
from data_access import geo, registry
from data_access import indicators as ix
from data_access.access import Actor, PermissionDenied
from data_access.db import data_version, session_scope
from data_access.ingest import reference as ref
from data_access.ingest.annotate import annotated_workbook
from ingest_helpers import ADMIN, TODAY, fingerprint

REF_TABLES = ("service_points", "regions", "audit_log", "settings")
LEADER = Actor(None, "leader", "leader")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, databases) -> Iterator[Engine]:  # noqa: ANN001
    """One sample county per backend for this module; tests use their own names so order does not matter."""
    from sample_data.generate import generate

    engine = databases.new(request.param)
    generate(engine)
    yield engine


def download(engine: Engine, kind: str) -> bytes:
    with session_scope(engine) as s:
        return ref.template(s, ADMIN, kind)[1]


def check(engine: Engine, kind: str, data: bytes, actor: Actor = ADMIN) -> ref.ImportPreview:
    with session_scope(engine) as s:
        return ref.check_import(s, actor, kind, data, "sheet.xlsx", today=TODAY)


def problems(preview: ref.ImportPreview, severity: str = "error") -> list[tuple[str, str]]:
    return [(p.cell, p.key) for p in preview.problems if p.severity == severity]


def workbook(rows: list[list], title: str | None = None, sheet: str = "台账") -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表由乡镇汇总后报县委政法委"
    ws = wb.create_sheet(sheet)
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def first_township(engine: Engine) -> tuple[m.Region, m.Region]:
    with session_scope(engine) as s:
        town = s.scalars(select(m.Region).where(m.Region.level == "township").order_by(m.Region.code)).first()
        village = s.scalars(select(m.Region).where(m.Region.parent_id == town.id).order_by(m.Region.code)).first()
        s.expunge_all()
        return town, village


@pytest.mark.parametrize("kind", ref.KINDS)
def test_downloaded_list_goes_back_unchanged(county: Engine, kind: str) -> None:
    data = download(county, kind)
    preview = check(county, kind, data)
    assert preview.ok, problems(preview)
    assert preview.counts["new"] == preview.counts["changed"] == 0 and preview.counts["same"] > 100
    before = fingerprint(county, REF_TABLES)
    result = ref.commit_import(county, ADMIN, preview, today=TODAY)
    assert result.status == "nothing" and fingerprint(county, REF_TABLES) == before


def test_a_wrong_stored_point_is_a_warning_not_a_blocker(county: Engine) -> None:
    """The sample registry holds a point with coordinates outside the county (a data problem the map
    lists): repeating it unchanged must not block the file, and must say what is wrong with it."""
    preview = check(county, ref.SERVICE_POINTS, download(county, ref.SERVICE_POINTS))
    stored = [p for p in preview.problems if p.key == "refimport.warn.stored_problem"]
    assert stored and stored[0].severity == "warning" and "不在" in stored[0].message()
    assert stored[0].message("en").startswith("The stored entry has a problem: Coordinates (")


def test_messy_points_sheet_is_read_and_written_in_one_go(county: Engine) -> None:
    town, village = first_township(county)
    town_typed = town.name_zh.replace("镇", "鎮")[:-1] if town.name_zh.endswith("镇") else town.name_zh[:-1]
    rows = [["类型", "阵地名称", "乡镇", "村（社区）", "启用时间", "状态", "专职人员", "兼职人员", "备注", "填报人签字"],
            [],
            ["网格服务点", "测试一号网格点", town_typed, village.name_zh[:-1], "2025年4月1日", "在用", "２", 1, "新建", ""],
            ["企业爱心驿站", "测试爱心驿站", town.code, None, dt.datetime(2025, 6, 30), "筹建中", 0, "1,2"[:1], None, None],
            ["合计", None, None, None, None, None, 2, 2, None, None],
            ["填表人：张三"]]
    data = workbook(rows, title="2026年服务阵地新增情况表")
    preview = check(county, ref.SERVICE_POINTS, data)
    assert preview.ok, problems(preview)
    assert preview.counts == {"new": 2, "changed": 0, "same": 0}
    notes = {p.key for p in preview.problems if p.severity == "notice"}
    assert {"ingest.note.alias", "refimport.note.text_date", "ingest.note.fullwidth", "ingest.note.total_row",
            "ingest.note.footer_row", "ingest.note.extra_column"} <= notes
    version = data_version(county)
    result = ref.commit_import(county, ADMIN, preview, today=TODAY)
    assert result.status == "accepted" and result.counts["new"] == 2
    assert data_version(county) != version
    with session_scope(county) as s:
        grid = s.scalar(select(m.ServicePoint).where(m.ServicePoint.name_zh == "测试一号网格点"))
        assert (grid.type, grid.region_id, grid.opened_on, grid.staff_full, grid.staff_part, grid.note) == (
            "grid_point", village.id, dt.date(2025, 4, 1), 2, 1, "新建")
        planned = s.scalar(select(m.ServicePoint).where(m.ServicePoint.name_zh == "测试爱心驿站"))
        assert (planned.status, planned.region_id, planned.opened_on) == ("building", town.id, dt.date(2025, 6, 30))
        actions = [a for (a,) in s.execute(select(m.AuditEntry.action).order_by(m.AuditEntry.id.desc()).limit(3))]
        assert actions == ["registry.import", "registry.add", "registry.add"]


def test_changing_cells_of_the_downloaded_list_updates_those_points(county: Engine) -> None:
    data = download(county, ref.SERVICE_POINTS)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    header = [c.value for c in ws[ref.HEADER_ROW]]
    code_c, staff_c, phone_c = header.index("阵地编码"), header.index("专职人员（人）"), header.index("联系电话")
    row = ws[ref.HEADER_ROW + 1]
    code = row[code_c].value
    row[staff_c].value = 7
    row[phone_c].value = "0838-6612345"
    buf = io.BytesIO()
    wb.save(buf)
    preview = check(county, ref.SERVICE_POINTS, buf.getvalue())
    assert preview.ok and preview.counts["changed"] == 1 and preview.counts["new"] == 0
    change = next(c for c in preview.changes if c.action == "changed")
    assert change.code == code and change.fields["staff_full"][1] == 7 and change.fields["phone"][1] == "0838-6612345"
    assert ref.commit_import(county, ADMIN, preview, today=TODAY).status == "accepted"
    with session_scope(county) as s:
        sp = s.scalar(select(m.ServicePoint).where(m.ServicePoint.code == code))
        assert (sp.staff_full, sp.phone) == (7, "0838-6612345")
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "registry.edit",
                                                    m.AuditEntry.entity_id == code))
        assert entry.before["staff_full"] != 7 and entry.after["staff_full"] == 7


def test_every_problem_at_once_with_its_cell_and_nothing_written(county: Engine) -> None:
    town, _ = first_township(county)
    rows = [["阵地编码", "阵地名称", "阵地类型", "所属乡镇（街道）", "所属村（社区）", "经度", "纬度", "启用日期", "状态",
             "专职人员（人）", "兼职人员（人）"],
            [None, "坏一", "心理小屋", town.name_zh, None, None, None, "2024-01-01", "在用", 1, 0],            # row 2
            [None, "坏二", "网格服务点", "火星乡", None, None, None, "2024-01-01", "在用", 1, 0],               # row 3
            [None, "坏三", "网格服务点", town.name_zh, "不存在村", "东经", 30.1, "昨天", "在用", -1, 1.5],      # row 4
            [None, "坏四", "网格服务点", town.name_zh, None, 10.0, 10.0, "2099-01-01", "关闭", 0, 0],        # row 5
            ["SP1", "坏五", "网格服务点", town.name_zh, None, None, None, "2025-06-01", "在用", 0, 0],        # row 6
            ["SP1", "坏六", "网格服务点", town.name_zh, None, None, None, "2025-06-01", "在用", 0, 0],        # row 7
            [None, "坏七", "中小学心理辅导室", town.name_zh, None, None, None, "2024-01-01", "在用", 0, 0]]    # row 8
    preview = check(county, ref.SERVICE_POINTS, workbook(rows))
    assert not preview.ok
    # In sheet order (row, then column); a problem of a column the sheet lacks names the row.
    assert problems(preview) == [("C2", "registry.error.type"), ("D3", "registry.error.township_unknown"),
                     ("E4", "registry.error.village_unknown"), ("F4", "refimport.err.not_number"),
                     ("H4", "refimport.err.bad_date"), ("J4", "refimport.err.not_count"),
                     ("K4", "refimport.err.not_count"), ("F5", "registry.error.outside_county"),
                     ("H5", "registry.error.opened_future"), ("I5", "registry.error.status"),
                     ("A7", "refimport.err.duplicate_code"), ("8", "registry.error.facility_missing")]
    assert [p for p in preview.problems if p.severity == "notice"] == []   # nothing of it was handled
    every = {p.key: p for p in preview.errors}
    assert "火星乡" in every["registry.error.township_unknown"].message()
    assert all(p.fix() for p in preview.errors), [p.key for p in preview.errors if not p.fix()]
    assert "not a valid date" in every["refimport.err.bad_date"].message("en")
    before = fingerprint(county, REF_TABLES)
    assert ref.commit_import(county, ADMIN, preview, today=TODAY).status == "rejected"
    assert fingerprint(county, REF_TABLES) == before
    # The administrator's own workbook back: each problem cell highlighted with its message.
    back = openpyxl.load_workbook(io.BytesIO(annotated_workbook(preview.data, preview.read.format, preview.problems)))
    assert back.sheetnames[0] == "问题清单" and back.sheetnames.count("台账") == 1
    assert back["台账"]["D3"].fill.fgColor.rgb.endswith("F8B4B4") and "火星乡" in back["台账"]["D3"].comment.text
    assert back["问题清单"].max_row == len(preview.problems) + 1


def test_regions_add_a_community_rename_and_update_population(county: Engine) -> None:
    town, village = first_township(county)
    rows = [["区划代码", "名称", "上级乡镇（街道）", "城乡属性", "常住人口（人）", "别名"],
            [f"{town.code}901", "新苑社区", town.name_zh, None, "3,210", None],
            [village.code, "测试更名村", None, None, 1500, None]]
    with session_scope(county) as s:
        q4 = s.scalar(select(m.Period).where(m.Period.code == "2026Q4"))
        denominator = ix.indicator_values(s, [q4], [s.get(m.Region, town.id)], ["room_coverage"])["denominator"].iloc[0]
    preview = check(county, ref.REGIONS, workbook(rows))
    assert preview.ok, problems(preview)
    assert preview.counts == {"new": 1, "changed": 1, "same": 0}
    assert ref.commit_import(county, ADMIN, preview).status == "accepted"
    with session_scope(county) as s:
        new = s.scalar(select(m.Region).where(m.Region.code == f"{town.code}901"))
        assert (new.level, new.kind, new.parent_id, new.population, new.is_urban, new.path) == (
            "village", "community", town.id, 3210, True, f"{town.path}{town.code}901/")
        renamed = s.get(m.Region, village.id)
        assert renamed.name_zh == "测试更名村" and village.name_zh in renamed.aliases and renamed.population == 1500
        assert s.scalar(select(func.count()).select_from(m.AuditEntry).where(
            m.AuditEntry.action.in_(("region.add", "region.update", "region.import")))) >= 3
        # A village without a boundary yet: in room coverage's denominator, and the map still builds.
        period = s.scalar(select(m.Period).where(m.Period.code == "2026Q4"))
        coverage = ix.indicator_values(s, [period], [s.get(m.Region, town.id)], ["room_coverage"])
        assert coverage["denominator"].iloc[0] == denominator + 1
        assert geo.build_map(s, period) is not None


def test_region_problems_are_all_reported(county: Engine) -> None:
    town, village = first_township(county)
    with session_scope(county) as s:
        other = s.scalars(select(m.Region).where(m.Region.level == "township", m.Region.id != town.id)).first()
        sibling = s.scalars(select(m.Region).where(m.Region.parent_id == town.id, m.Region.id != village.id)
                            .order_by(m.Region.code)).first()
        county_code = s.scalar(select(m.Region.code).where(m.Region.level == "county"))
    rows = [["区划代码", "名称", "上级乡镇（街道）", "城乡属性", "常住人口（人）", "类型（村/社区）"],
            [village.code, None, other.name_zh, None, None, None],              # 2: moved to another township
            [f"{town.code}902", "无上级村", None, None, None, None],              # 3: no township
            [f"{town.code}903", "某村", "火星乡", "半城半乡", -5, "组"],             # 4: four problems
            [f"{town.code}904", sibling.name_zh, town.name_zh, None, None, None],  # 5: name taken
            [county_code, "改县名", None, None, None, None],                        # 6: not a township/village
            ["99 01", "空格代码", town.name_zh, None, None, None]]                   # 7: bad code
    preview = check(county, ref.REGIONS, workbook(rows))
    assert problems(preview) == [("C2", "refimport.err.parent_change"), ("C3", "refimport.err.parent_missing"),
                     ("C4", "refimport.err.parent_unknown"), ("D4", "refimport.err.urban"),
                     ("E4", "refimport.err.not_count"), ("F4", "refimport.err.kind"),
                     ("B5", "admin.err.region_name_taken"), ("A6", "refimport.err.region_level"),
                     ("A7", "refimport.err.code_format")]
    before = fingerprint(county, REF_TABLES)
    assert ref.commit_import(county, ADMIN, preview).status == "rejected"
    assert fingerprint(county, REF_TABLES) == before


def test_wrong_file_kinds_are_named(county: Engine) -> None:
    preview = check(county, ref.SERVICE_POINTS, download(county, ref.REGIONS))
    assert "refimport.err.wrong_kind" in [p.key for p in preview.errors] and not preview.ok
    not_excel = check(county, ref.REGIONS, b"code,name\n1,2\n")
    assert [p.key for p in not_excel.errors] == ["ingest.err.not_excel"]
    no_header = check(county, ref.REGIONS, workbook([["甲", "乙"], [1, 2]]))
    assert [p.key for p in no_header.errors] == ["ingest.err.no_header"]


def test_only_administrators_may_import(county: Engine) -> None:
    data = download(county, ref.SERVICE_POINTS)
    with pytest.raises(PermissionDenied):
        check(county, ref.SERVICE_POINTS, data, actor=LEADER)
    with session_scope(county) as s, pytest.raises(PermissionDenied):
        ref.template(s, Actor(None, "liaison", "liaison", 2), ref.REGIONS)
    preview = check(county, ref.SERVICE_POINTS, data)
    before = fingerprint(county, REF_TABLES)
    with pytest.raises(PermissionDenied):
        ref.commit_import(county, LEADER, preview)
    assert fingerprint(county, REF_TABLES) == before


def test_a_point_changed_after_the_check_makes_the_file_stale(county: Engine) -> None:
    data = download(county, ref.SERVICE_POINTS)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    header = [c.value for c in ws[ref.HEADER_ROW]]
    row = ws[ref.HEADER_ROW + 2]
    code = row[header.index("阵地编码")].value
    row[header.index("备注")].value = "导入时的备注"
    buf = io.BytesIO()
    wb.save(buf)
    preview = check(county, ref.SERVICE_POINTS, buf.getvalue())
    assert preview.ok and preview.counts["changed"] == 1
    with session_scope(county) as s:
        point_id = s.scalar(select(m.ServicePoint.id).where(m.ServicePoint.code == code))
        registry.edit_point(s, ADMIN, point_id, {"note": "别人刚改的备注"}, today=TODAY)
    before = fingerprint(county, REF_TABLES)
    assert ref.commit_import(county, ADMIN, preview, today=TODAY).status == "stale"
    assert fingerprint(county, REF_TABLES) == before


def test_a_row_that_would_move_an_approved_quarter_is_refused_at_its_date(county: Engine) -> None:
    """A sheet that back-dates a new point into an approved quarter (the sample approves 2024Q4 and
    2025Q1) is refused at that row's date cell, saying which quarters and how to go on."""
    town, _ = first_township(county)
    rows = [["阵地名称", "阵地类型", "所属乡镇（街道）", "启用日期", "状态"],
            ["补登网格点", "网格服务点", town.name_zh, "2024-05-01", "在用"],
            ["新网格点", "网格服务点", town.name_zh, "2025-05-01", "在用"]]
    preview = check(county, ref.SERVICE_POINTS, workbook(rows))
    assert problems(preview) == [("D2", "registry.error.approved")]
    assert "2024Q4、2025Q1" in preview.errors[0].message("zh")
