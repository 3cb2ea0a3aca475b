"""Messy but acceptable workbooks: what real sheets look like. Read in dry-run mode (nothing written),
checking the exact figures read and what was reported as normalised."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ingest_helpers import ADMIN, TODAY, fingerprint, template_bytes
from data_access.ingest.commit import ingest


def _save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def justice_messy() -> bytes:
    """No template: a notes sheet first, title rows, header on row 4 in another order with extra columns,
    full-width digits, text numbers with spaces, thousands separators, aliases, a blank row, a total row
    and a footer line."""
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表由司法局填报"
    ws = wb.create_sheet("司法局报表")
    ws["A1"] = "和安县司法局2026年第三季度特殊人群心理疏导情况统计表"
    ws.merge_cells("A1:E1")
    ws["A2"] = "填报单位：县司法局"
    ws.append([])
    ws.append(["序号", "乡镇", "特殊人群总数（人）", "接受个性化疏导人数", "备注"])
    ws.append([1, "北山鄉", "１２０", "  60 ", ""])
    ws.append([2, "黄岭", "1,200", 600, "含新增"])
    ws.append([None, None, None, None, None])
    ws.append([3, "西城街道 ", 80, 40, None])
    ws.append([None, "合计", 1400, 700, None])
    ws.append(["填表人：张三", None, None, None, None])
    return _save(wb)


def zongzhi_two_row_header() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "综治中心季度报表"
    ws["A2"], ws["B2"], ws["C2"] = "乡镇名称", "心理服务人次", "矛盾纠纷调解"
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:D2")
    ws["C3"], ws["D3"] = "调解矛盾纠纷件数", "调解成功件数"
    ws.append(["城关镇", "3,545", 40, 38])
    ws.append(["经开区", 120, "10", "９"])
    return _save(wb)


def justice_rates() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["乡镇（街道）名称", "特殊人群总数", "特殊人群个性化心理疏导率"])
    ws.append(["南湖镇", 200, "80%"])
    ws.append(["白塔镇", 100, 0.8])
    ws.append(["石门镇", 50, "80"])
    return _save(wb)


def _parsed(preview) -> dict:  # noqa: ANN001
    return {(r["region"], r["indicator"]): (r["numerator"], r["denominator"]) for r in preview.checked.parsed}


def _check(engine, data: bytes, department: str, name: str = "messy.xlsx"):  # noqa: ANN001, ANN202
    before = fingerprint(engine)
    preview, result = ingest(engine, ADMIN, data, name, department, "2026Q3", dry_run=True, today=TODAY)
    assert fingerprint(engine) == before
    assert [p.key for p in preview.all_problems if p.severity == "error"] == []
    assert result.status == "dry_run"
    return preview


def test_messy_sheet_is_read_with_every_normalisation_reported(sample_engine) -> None:  # noqa: ANN001
    preview = _check(sample_engine, justice_messy(), "justice")
    assert preview.checked.read.located.sheet == "司法局报表"
    assert preview.checked.read.located.header_row == 3
    assert _parsed(preview) == {("990101001", "special_counselling"): (60, 120),
                                ("990101002", "special_counselling"): (600, 1200),
                                ("990101005", "special_counselling"): (40, 80)}
    notes = {(p.key, p.cell) for p in preview.all_problems if p.severity == "notice"}
    assert {("ingest.note.fullwidth", "C5"), ("ingest.note.text_number", "C5"), ("ingest.note.text_number", "D5"),
            ("ingest.note.thousands", "C6"), ("ingest.note.alias", "B5"), ("ingest.note.alias", "B6"),
            ("ingest.note.total_row", "B9"), ("ingest.note.footer_row", "A10"),
            ("ingest.note.extra_column", "A4"), ("ingest.note.extra_column", "E4"), ("ingest.note.no_meta", "")} <= notes
    # Ten townships have no row: one warning naming them, not an error (their figures are kept).
    [missing] = [p for p in preview.all_problems if p.key == "ingest.warn.rows_not_in_file"]
    assert missing.params["count"] == 10 and "黄岭乡" not in missing.params["names"] and "柳溪乡" in missing.params["names"]
    alias = next(p for p in preview.all_problems if p.key == "ingest.note.alias" and p.cell == "B5")
    assert alias.message("zh") == "名称已识别为“北山乡”。"


def test_two_row_merged_header_and_columns_in_another_order(sample_engine) -> None:  # noqa: ANN001
    preview = _check(sample_engine, zongzhi_two_row_header(), "zongzhi")
    assert preview.checked.read.located.header_row == 2
    parsed = {(r["region"], r["indicator"]): (r["numerator"], r["denominator"], r["value"])
              for r in preview.checked.parsed}
    assert parsed == {("990101006", "people_served"): (None, None, 3545.0),
                      ("990101006", "mediation_success"): (38, 40, 38 / 40),
                      ("990101013", "people_served"): (None, None, 120.0),
                      ("990101013", "mediation_success"): (9, 10, 0.9)}


def test_rate_as_80_percent_or_fraction_or_plain_number(sample_engine) -> None:  # noqa: ANN001
    preview = _check(sample_engine, justice_rates(), "justice")
    assert _parsed(preview) == {("990101008", "special_counselling"): (160, 200),
                                ("990101010", "special_counselling"): (80, 100),
                                ("990101011", "special_counselling"): (40, 50)}
    assert ("ingest.note.rate_scaled", "C4") in {(p.key, p.cell) for p in preview.all_problems}


def test_xlsm_macros_are_never_run_only_values_read(sample_engine) -> None:  # noqa: ANN001
    good = template_bytes(sample_engine, "petition", "2026Q3", values={"990101001": {"petitions:value": 7}})
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Attribute VB_Name = \"AutoOpen\" Shell(\"calc\")")
    preview = _check(sample_engine, buf.getvalue(), "petition", "macro.xlsm")
    assert preview.checked.read.format == "xlsm"
    assert "ingest.note.macros_ignored" in {p.key for p in preview.all_problems}
    assert _parsed(preview)[("990101001", "petitions")] == (None, None)


@pytest.fixture(scope="module")
def xls_file(tmp_path_factory) -> bytes:  # noqa: ANN001
    """The messy justice sheet saved as old .xls (BIFF8) by LibreOffice, as WPS/Excel 2003 would."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed: cannot make an .xls file")
    folder = tmp_path_factory.mktemp("xls")
    src = folder / "justice.xlsx"
    src.write_bytes(justice_messy())
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "xls",
                    "--outdir", str(folder), str(src)], check=True, capture_output=True, timeout=120)
    return Path(folder / "justice.xls").read_bytes()


def test_old_xls_is_read(sample_engine, xls_file: bytes) -> None:  # noqa: ANN001
    assert xls_file[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    preview = _check(sample_engine, xls_file, "justice", "justice.xls")
    assert preview.checked.read.format == "xls"
    assert _parsed(preview) == {("990101001", "special_counselling"): (60, 120),
                                ("990101002", "special_counselling"): (600, 1200),
                                ("990101005", "special_counselling"): (40, 80)}


def test_a_refused_file_claims_no_automatic_handling(sample_engine) -> None:  # noqa: ANN001
    """Text numbers, a total row and an extra column would each be a notice ("处自动处理") on an accepted
    file; with one error in it nothing of the file is handled, and no notice says otherwise."""
    wb = openpyxl.load_workbook(io.BytesIO(justice_messy()))
    wb["司法局报表"]["D6"] = "无"
    before = fingerprint(sample_engine)
    preview, result = ingest(sample_engine, ADMIN, _save(wb), "messy.xlsx", "justice", "2026Q3", dry_run=True,
                             today=TODAY)
    assert result.status == "rejected" and fingerprint(sample_engine) == before
    assert [(p.key, p.cell) for p in preview.all_problems if p.severity != "warning"] == [
        ("ingest.err.text_none", "D6")]
    # The same file without the mistake: the notices are there.
    assert any(p.severity == "notice" for p in _check(sample_engine, justice_messy(), "justice").all_problems)
