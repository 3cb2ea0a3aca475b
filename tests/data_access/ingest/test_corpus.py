"""The corpus: bad and messy workbooks generated here, each with the exact problems it must get and
the database unchanged afterwards (the full ingest path, on SQLite and PostgreSQL)."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from ingest_helpers import ADMIN, TODAY, fill, fingerprint, template_bytes  # type: ignore[import-not-found]
from data_access.ingest.commit import REJECTED, ingest
from data_access.ingest.reader import Limits

# Health sheet layout: A code, B name, C/D smd num/den, E/F rehab num/den, G/H records num/den;
# header rows 1-3, townships on rows 4-16 (北山乡 first, 和安经济开发区 last).


def _cell(ref: str, value):  # noqa: ANN001, ANN202
    def edit(wb):  # noqa: ANN001, ANN202
        wb["数据"][ref].value = value
    return edit


def _edits(*edits):  # noqa: ANN002, ANN202
    def edit(wb):  # noqa: ANN001, ANN202
        for e in edits:
            e(wb)
    return edit


def _zip_replace(data: bytes, name: str, content: bytes | None = None, add: dict | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, content if (item.filename == name and content is not None) else src.read(item))
        for k, v in (add or {}).items():
            out.writestr(k, v)
    return buf.getvalue()


def _sheet_xml(data: bytes) -> tuple[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    name = "xl/worksheets/sheet2.xml"  # the 数据 sheet is the template's second sheet
    return name, z.read(name)


def case_empty(good):  # noqa: ANN001, ANN201
    return b"", [("ingest.err.empty_file", "")]


def case_csv_renamed(good):  # noqa: ANN001, ANN201
    return "区划代码,乡镇名称,规范管理患者数\n990101001,北山乡,12\n".encode("gbk"), [("ingest.err.not_excel", "")]


def case_pdf(good):  # noqa: ANN001, ANN201
    return b"%PDF-1.7\n1 0 obj <<>> endobj\n", [("ingest.err.not_excel", "")]


def case_plain_zip(good):  # noqa: ANN001, ANN201
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return buf.getvalue(), [("ingest.err.not_excel", "")]


def case_truncated(good):  # noqa: ANN001, ANN201
    return good[: len(good) // 2], [("ingest.err.corrupt", "")]


def case_password(good):  # noqa: ANN001, ANN201
    # An encrypted .xlsx is an OLE compound file holding EncryptionInfo + EncryptedPackage streams.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    ole += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048
    return ole, [("ingest.err.password", "")]


def case_zip_bomb(good):  # noqa: ANN001, ANN201
    return _zip_replace(good, "", add={"xl/media/image1.bin": b"\0" * (40 * 1024 * 1024)}), [("ingest.err.zip_bomb", "")]


def case_billion_laughs(good):  # noqa: ANN001, ANN201
    name, xml = _sheet_xml(good)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    evil = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + body
    return _zip_replace(good, name, evil), [("ingest.err.xml_entities", "")]


def case_huge_sheet(good):  # noqa: ANN001, ANN201
    # One cell at the far corner: calamine would allocate the whole dense range and abort the process.
    return fill(good, _cell("XFD1048576", 1)), [("ingest.err.sheet_too_large", "")]


def case_no_header(good):  # noqa: ANN001, ANN201
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "123"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), [("ingest.err.no_header", "")]


def case_missing_column(good):  # noqa: ANN001, ANN201
    def edit(wb):  # noqa: ANN001, ANN202
        ws = wb["数据"]
        ws.unmerge_cells("G2:H2")
        ws.delete_cols(8)
    return fill(good, edit), [("ingest.err.missing_column", "3")]


def case_unknown_township(good):  # noqa: ANN001, ANN201
    return fill(good, _edits(_cell("B5", "火星镇"), _cell("A5", None))), [("ingest.err.unknown_region", "B5")]


def case_duplicate_row(good):  # noqa: ANN001, ANN201
    return fill(good, _edits(_cell("A6", None), _cell("B6", "北山乡"))), [("ingest.err.duplicate_row", "B6")]


def case_not_number(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("C4", "十二")), [("ingest.err.not_number", "C4")]


def case_negative(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("D7", -3)), [("ingest.err.negative", "D7")]


def case_decimal_count(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("E8", 12.5)), [("ingest.err.not_whole", "E8")]


def case_num_gt_den(good):  # noqa: ANN001, ANN201
    return fill(good, _edits(_cell("C9", 80), _cell("D9", 60))), [("ingest.err.num_gt_den", "C9")]


def case_half_ratio(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("F10", None)), [("ingest.err.half_ratio", "F10")]


def case_rate_out_of_range(good):  # noqa: ANN001, ANN201
    def edit(wb):  # noqa: ANN001, ANN202
        ws = wb["数据"]
        ws["I3"] = "严重精神障碍患者规范管理率"
        for r in range(4, 17):
            ws.cell(r, 9).value = "85%"
        ws["I11"] = "150%"
        ws["C11"] = None
    return fill(good, edit), [("ingest.err.rate_range", "I11")]


def case_wrong_department(good):  # noqa: ANN001, ANN201
    return fill(good, lambda wb: setattr(wb["_meta"]["B2"], "value", "justice")), \
        [("ingest.err.meta_department", "B2")]


def case_wrong_period(good):  # noqa: ANN001, ANN201
    return fill(good, lambda wb: setattr(wb["_meta"]["B3"], "value", "2026Q2")), [("ingest.err.meta_period", "B3")]


def case_formula_without_value(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("C12", "=D12-1")), [("ingest.err.formula_no_value", "C12")]


def case_duplicate_column(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("I3", "在册患者数")), [("ingest.err.duplicate_column", "I3")]


def case_no_rows(good):  # noqa: ANN001, ANN201
    def edit(wb):  # noqa: ANN001, ANN202
        ws = wb["数据"]
        for r in range(4, 17):
            for c in range(1, 9):
                ws.cell(r, c).value = None
    return fill(good, edit), [("ingest.err.no_rows", "A4")]


def case_everything_at_once(good):  # noqa: ANN001, ANN201
    return fill(good, _edits(_cell("C4", "abc"), _cell("D5", -1), _cell("B7", "不存在乡"), _cell("A7", None),
                             _cell("G8", 20000), _cell("H8", 100), _cell("E13", 1.5))), [
        ("ingest.err.not_number", "C4"), ("ingest.err.negative", "D5"), ("ingest.err.unknown_region", "B7"),
        ("ingest.err.num_gt_den", "G8"), ("ingest.err.not_whole", "E13")]


def case_date_in_count(good):  # noqa: ANN001, ANN201
    import datetime as dt
    return fill(good, _cell("C14", dt.datetime(2026, 9, 30))), [("ingest.err.not_number", "C14")]


def case_boolean_text(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("D15", "约50人")), [("ingest.err.not_number", "D15")]


def case_bad_thousands(good):  # noqa: ANN001, ANN201
    return fill(good, _cell("H16", "10,00,0")), [("ingest.err.not_number", "H16")]


def case_too_big(good):  # noqa: ANN001, ANN201
    return good, [("ingest.err.too_big", "")]


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
LIMITS = {"too_big": Limits(max_bytes=4096)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_gives_exact_problems_and_changes_nothing(name: str, sample_engine, good_health) -> None:  # noqa: ANN001
    data, expected = CASES[name](good_health)
    before = fingerprint(sample_engine)
    kwargs = {"limits": LIMITS[name]} if name in LIMITS else {}
    preview, result = ingest(sample_engine, ADMIN, data, f"{name}.xlsx", "health", "2026Q3", today=TODAY, **kwargs)
    assert result.status == REJECTED
    errors = [(p.key, p.cell) for p in preview.all_problems if p.severity == "error"]
    assert errors == expected
    for p in preview.all_problems:  # every message renders in both languages, with a fix for errors
        assert "{" not in p.message("zh") and "{" not in p.message("en")
        if p.severity == "error":
            assert p.fix("zh") and p.fix("en")
    assert fingerprint(sample_engine) == before


def test_quarter_not_ended_is_refused(sample_engine) -> None:  # noqa: ANN001
    data = template_bytes(sample_engine, period="2026Q4", values={"990101001": {"smd_managed:num": 1,
                                                                                "smd_managed:den": 2}})
    before = fingerprint(sample_engine)
    preview, result = ingest(sample_engine, ADMIN, data, "q4.xlsx", "health", "2026Q4", today=TODAY)
    assert result.status == REJECTED
    assert [(p.key, p.params) for p in preview.all_problems if p.severity == "error"] == [
        ("ingest.err.period_open", {"period": "2026Q4", "end": "2026-12-31"})]
    assert fingerprint(sample_engine) == before
