"""The liaison's own workbook back, with every problem cell highlighted and a comment on each,
plus a "问题清单" sheet listing all problems. For .xls (which openpyxl cannot open) the values read
are copied into a new .xlsx instead. Every string written is safe against formula injection."""
from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from data_access.ingest import sandbox
from data_access.ingest.problems import ERROR, WARNING, Problem
from data_access.ingest.reader import ReadResult
from data_access.ingest.templates import put, safe_text
from i18n import t

FILLS = {ERROR: PatternFill("solid", fgColor="F8B4B4"), WARNING: PatternFill("solid", fgColor="FDE68A")}
LIST_TITLE = "问题清单"


def annotated_workbook(data: bytes, fmt: str, problems: list[Problem], rows: list[list] | None = None,
                       sheet_name: str | None = None, lang: str = "zh") -> bytes:
    wb = None
    if fmt in ("xlsx", "xlsm"):
        try:
            wb = load_workbook(io.BytesIO(data), keep_vba=False, rich_text=False)
        except Exception:  # noqa: BLE001 -- a damaged file (cut XML, odd parts) raises anything; copy the values
            wb = None
    if wb is None:
        wb = Workbook()
        ws = wb.active
        ws.title = (sheet_name or "数据")[:31]
        for r, row in enumerate(rows or [], start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    cell = ws.cell(row=r, column=c, value=safe_text(value) if isinstance(value, str) else
                                   value if isinstance(value, (int, float)) else str(value))
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    for p in problems:
        if p.severity not in FILLS or not p.sheet or p.row is None or p.col is None or p.sheet not in wb.sheetnames:
            continue
        ws = wb[p.sheet]
        cell = ws.cell(row=p.row + 1, column=p.col + 1)
        if type(cell).__name__ == "MergedCell":
            continue
        cell.fill = FILLS[p.severity]
        text = t("upload.annotated_comment", lang, message=p.message(lang), fix=p.fix(lang) or "-")
        if cell.comment is not None:
            text = cell.comment.text + "\n\n" + text
        cell.comment = Comment(text[:2000], "心理服务督导平台", width=320, height=160)
    if LIST_TITLE in wb.sheetnames:
        del wb[LIST_TITLE]
    ws = wb.create_sheet(LIST_TITLE, 0)
    headers = [t(f"upload.col.{k}", lang) for k in ("severity", "sheet", "cell", "value", "problem", "fix")]
    for c, h in enumerate(headers, start=1):
        put(ws, f"{chr(64 + c)}1", h).font = Font(bold=True)
    for r, p in enumerate(problems, start=2):
        for c, v in enumerate([t(f"upload.severity.{p.severity}", lang), p.sheet, p.cell, p.value,
                               p.message(lang), p.fix(lang)], start=1):
            put(ws, f"{chr(64 + c)}{r}", v)
        if p.severity in FILLS:
            ws[f"A{r}"].fill = FILLS[p.severity]
    for letter, width in zip("ABCDEF", (10, 12, 8, 16, 60, 60)):
        ws.column_dimensions[letter].width = width
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == LIST_TITLE
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def annotated_read(data: bytes, read: ReadResult | None, problems: list[Problem], lang: str = "zh") -> bytes:
    """annotated_workbook for a file as the reader saw it (format, and the located sheet's rows for
    a format openpyxl cannot reopen).

    The original is reopened only when the reader read it through (a sheet was located): a file
    refused by the guards is never handed to openpyxl. Even then openpyxl parses untrusted bytes, so
    it runs in a sandbox child; if the child is refused, the copy is built here from the values
    the reader already returned (no parsing of the file at all)."""
    loc = read.located if read else None
    fmt = read.format if read is not None and loc is not None else ""
    rows, sheet = (loc.rows, loc.sheet) if loc else (None, None)
    try:
        return sandbox.run(annotated_workbook, data if fmt in ("xlsx", "xlsm") else b"", fmt, problems, rows,
                           sheet, lang)
    except sandbox.Refused:
        return annotated_workbook(b"", "", problems, rows=rows, sheet_name=sheet, lang=lang)
