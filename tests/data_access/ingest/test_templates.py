"""Templates follow the indicator catalogue; they carry dropdowns, protection and the hidden _meta
sheet; text that Excel would run as a formula is written as plain text. Completeness matrix."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select, update

from ingest_helpers import ADMIN, template_bytes
from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.db import session_scope
from data_access.ingest import completeness
from data_access.ingest.spec import build_spec
from data_access.ingest.templates import build_template, safe_text, write_template


def test_template_layout_validation_protection_and_meta(sample_engine) -> None:  # noqa: ANN001
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(sample_engine, "health", "2026Q3")))
    assert wb.sheetnames == ["填表说明", "数据", "_lists", "_meta"]
    ws = wb["数据"]
    assert [ws.cell(3, c).value for c in range(3, 9)] == ["规范管理患者数", "在册患者数", "参加社区康复人数",
                                                          "居家患者数", "建档人数", "常住人口"]
    assert ws["C2"].value == "严重精神障碍患者规范管理率" and "C2:D2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A4"].value == "990101001" and ws["B4"].value == "北山乡" and ws.max_row == 16
    assert ws.protection.sheet and not ws["C4"].protection.locked and ws["A2"].protection.locked
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"list", "whole"}
    assert wb["_meta"].sheet_state == "hidden"
    assert {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}["period"] == "2026Q3"


def test_template_follows_the_catalogue_when_an_admin_moves_an_indicator(engine) -> None:  # noqa: ANN001
    from sample_data.generate import generate

    generate(engine)
    with session_scope(engine) as s:
        union = s.scalar(select(m.Department).where(m.Department.code == "union"))
        s.execute(update(m.Indicator).where(m.Indicator.code == "petitions").values(owner_department_id=union.id))
    with session_scope(engine) as s:
        spec = build_spec(s, "union", "2026Q3")
        assert [c.key for c in spec.template_columns] == [
            "code", "name", "certified_counsellors:value", "outreach_sessions:value", "petitions:value"]
        with pytest.raises(Exception) as exc:
            build_spec(s, "petition", "2026Q3")
        assert exc.value.key == "ingest.err.no_sheet_for_department"


def test_formula_injection_is_neutralised(sample_engine) -> None:  # noqa: ANN001
    assert safe_text("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)" and safe_text("北山乡") == "北山乡"
    with session_scope(sample_engine) as s:
        spec = build_spec(s, "petition", "2026Q3")
    evil = dataclasses.replace(spec.entities[0], name_zh="=cmd|' /C calc'!A0")
    spec.entities[0] = evil
    wb = openpyxl.load_workbook(io.BytesIO(write_template(spec)))
    cell = wb["数据"]["B4"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_school_template_for_the_education_bureau(sample_engine) -> None:  # noqa: ANN001
    with session_scope(sample_engine) as s:
        name, data = build_template(s, ADMIN, "education", "2026Q3")
        n_schools = s.query(m.Facility).filter(m.Facility.kind.in_(("primary_school", "secondary_school"))).count()
    ws = openpyxl.load_workbook(io.BytesIO(data))["数据"]
    assert ws["B3"].value is None and ws["B2"].value == "学校名称" and ws["D2"].value == "是否设置心理辅导室"
    assert ws.max_row == 3 + n_schools


def test_liaison_gets_only_own_template(sample_engine) -> None:  # noqa: ANN001
    with session_scope(sample_engine) as s:
        health = s.scalar(select(m.Department).where(m.Department.code == "health"))
        liaison = Actor(None, "liaison_health", "liaison", health.id)
        assert build_template(s, liaison, "health", "2026Q3")[0] == "2026Q3-health-报送模板.xlsx"
        with pytest.raises(PermissionDenied):
            build_template(s, liaison, "union", "2026Q3")


def test_completeness_matrix_on_time_late_missing(sample_engine) -> None:  # noqa: ANN001
    with session_scope(sample_engine) as s:
        data = completeness.matrix(s, dt.date(2026, 11, 23))
        owing = completeness.owing(s, dt.date(2026, 11, 23))
    cells = data["cells"]
    assert [p["code"] for p in data["periods"]][-1] == "2026Q3"
    assert cells[("union", "2026Q3")].status == "missing" and cells[("union", "2026Q3")].days_late == 39
    assert cells[("petition", "2026Q3")].status == "late"
    assert cells[("health", "2026Q3")].status == "on_time"
    assert ("union", "2026Q3") in {(o["department_code"], o["period"]) for o in owing}
    # On 2026-10-10 the 2026Q3 deadline (10-15) has not passed: due, not missing.
    with session_scope(sample_engine) as s:
        early = completeness.matrix(s, dt.date(2026, 10, 10))
    assert early["cells"][("union", "2026Q3")].status == "due"
