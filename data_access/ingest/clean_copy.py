"""A values-only copy of a stored upload: what 报送记录 hands out by default.

Why: an accepted workbook is kept byte for byte (that is the record of what was sent), and a leader
who downloads it opens whatever the sender's Excel put in it — a VBA project (an .xlsm, an .xls
with macros), live WEBSERVICE() / FILTERXML() formulas that call out when the file is opened, links
to other workbooks. The copy holds every sheet's cell values as they were last calculated, and
nothing else: no formulas, no macros, no links, text never turned into a formula.

The stored bytes are untrusted: the copy is made in a sandbox child (data_access.ingest.sandbox),
through the same guarded reader as the upload itself.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

import python_calamine as pc
from openpyxl import Workbook

from data_access.briefing.excel import safe_set
from data_access.ingest import reader, sandbox

MACROS, WEB_FORMULAS, EXTERNAL_LINKS, FORMULAS = "macros", "web_formulas", "external_links", "formulas"
# Functions that reach outside the workbook when it is recalculated or clicked.
_CALLS_OUT = re.compile(rb"<f[^>]*>[^<]*\b(WEBSERVICE|FILTERXML|HYPERLINK|CALL|REGISTER(?:\.ID)?|RTD|DDE)\s*\(",
                        re.IGNORECASE)


class CopyRefused(Exception):
    """The stored file cannot be copied (damaged, or the sandbox refused it)."""


@dataclass(frozen=True)
class CleanCopy:
    data: bytes                 # the values-only .xlsx
    risks: tuple[str, ...]      # what the original holds that the copy does not (MACROS, …)


def risks_of(data: bytes) -> tuple[str, ...]:
    """What in the original could act when it is opened: macros, calls out, links, other formulas."""
    found: list[str] = []
    if reader.sniff(data) == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
                if any(n.lower().endswith("vbaproject.bin") for n in names):
                    found.append(MACROS)
                sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
                xml = b"".join(z.read(n) for n in sheets)  # guarded at upload; in the child here
                if _CALLS_OUT.search(xml):
                    found.append(WEB_FORMULAS)
                if any(n.startswith("xl/externalLinks/") for n in names):
                    found.append(EXTERNAL_LINKS)
                if WEB_FORMULAS not in found and (b"<f>" in xml or b"<f " in xml):
                    found.append(FORMULAS)  # other formulas: said only when none calls out
        except (zipfile.BadZipFile, OSError, ValueError):
            pass
    elif "_VBA_PROJECT".encode("utf-16-le") in data or b"_VBA_PROJECT" in data:
        found.append(MACROS)
    return tuple(found)


def values_only(data: bytes) -> CleanCopy:
    """Every sheet's values into a new workbook (run in a sandbox child: see clean_copy())."""
    wb, result = reader.open_workbook(data)
    if wb is None:
        raise CopyRefused("unreadable")
    out = Workbook()
    out.remove(out.active)
    try:
        for meta in wb.sheets_metadata:
            got = reader._sheet_rows(wb, meta.name, reader.DEFAULT_LIMITS, result)
            if got is None:
                raise CopyRefused("unreadable")
            ws = out.create_sheet(title=meta.name[:31])
            if meta.visible != pc.SheetVisibleEnum.Visible:
                ws.sheet_state = "hidden"
            for r, row in enumerate(got[0], start=1):
                for c, value in enumerate(row, start=1):
                    if value == "" or value is None:
                        continue
                    cell = ws.cell(row=r, column=c)
                    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
                        cell.value = value
                    else:
                        safe_set(cell, value)  # text stays text, never a formula
    finally:
        wb.close()
    if not out.worksheets:
        out.create_sheet("Sheet1")
    if all(ws.sheet_state == "hidden" for ws in out.worksheets):
        out.worksheets[0].sheet_state = "visible"
    buf = io.BytesIO()
    out.save(buf)
    return CleanCopy(buf.getvalue(), risks_of(data))


def clean_copy(data: bytes) -> CleanCopy:
    """values_only() in a sandbox child; CopyRefused when the child cannot make it."""
    try:
        return sandbox.run(values_only, data)
    except sandbox.Refused as refused:
        raise CopyRefused(str(refused)) from refused


def copy_name(filename: str, lang: str = "zh") -> str:
    """'卫健委2026Q3.xlsm' -> '卫健委2026Q3（数据副本）.xlsx'."""
    from i18n import t

    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem}{t('submissions.copy_suffix', lang)}.xlsx"
