"""The .xlsx template a liaison downloads: instructions first, then the data sheet with a Chinese
two-row header (indicator over its columns), one prefilled row per township (or school), dropdowns,
whole-number validation, protected header cells, and a hidden "_meta" sheet saying which template,
department and quarter it is. Written with openpyxl (calamine cannot write)."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from data_access import access
from data_access.access import Actor
from data_access.ingest.spec import (CODE, COUNT, DEN, INFO, NAME, NUM, TEMPLATE_VERSION, YESNO, SheetSpec,
                                     build_spec)
from i18n import t

DATA_SHEET = "数据"
META_SHEET = "_meta"
LIST_SHEET = "_lists"
HEADER_ROWS = 3          # title row, indicator row, column row
FIRST_DATA_ROW = HEADER_ROWS + 1
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
LOCKED_FILL = PatternFill("solid", fgColor="F3F4F6")
THIN = Side(style="thin", color="9CA3AF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def safe_text(value: object) -> object:
    """Text that Excel would run as a formula (=, +, -, @ first) is written as plain text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def put(ws, ref: str, value: object):  # noqa: ANN001, ANN201
    cell = ws[ref]
    cell.value = safe_text(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def template_filename(spec: SheetSpec) -> str:
    return f"{spec.period_code}-{spec.department_code}-报送模板.xlsx"


def build_template(session: Session, actor: Actor | None, department_code: str, period_code: str,
                   lang: str = "zh") -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the template for a department and quarter."""
    spec = build_spec(session, department_code, period_code)
    access.require(actor, "template.download", spec.department_id)
    return template_filename(spec), write_template(spec, lang)


def write_template(spec: SheetSpec, lang: str = "zh", values: dict[str, dict[str, object]] | None = None) -> bytes:
    """The workbook. values (entity code -> column key -> value) prefills figures (tests, bench)."""
    wb = Workbook()
    info = wb.active
    info.title = "填表说明"
    _instructions(info, spec)
    ws = wb.create_sheet(DATA_SHEET)
    wb.active = 1
    cols = spec.template_columns
    title = t("ingest.tpl.title", "zh", department=spec.department_name_zh, period=spec.period_code)
    put(ws, "A1", title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    # Row 2: the indicator over its columns (merged); row 3: the column labels. Code/name span both.
    c = 0
    while c < len(cols):
        col = cols[c]
        end = c
        while end + 1 < len(cols) and col.group_zh and cols[end + 1].group_zh == col.group_zh:
            end += 1
        top = ws.cell(row=2, column=c + 1)
        if end > c:
            top.value = safe_text(col.group_zh)
            ws.merge_cells(start_row=2, start_column=c + 1, end_row=2, end_column=end + 1)
            for i in range(c, end + 1):
                ws.cell(row=3, column=i + 1, value=safe_text(cols[i].label_zh))
        else:  # a column of its own (code, name, a count) spans both header rows
            top.value = safe_text(col.label_zh)
            ws.merge_cells(start_row=2, start_column=c + 1, end_row=3, end_column=c + 1)
        c = end + 1
    for i, col in enumerate(cols, start=1):
        for r in (2, 3):
            cell = ws.cell(row=r, column=i)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = BOX
        if col.role in (NUM, DEN) and col.indicator:
            ws.cell(row=3, column=i).comment = Comment(
                t("ingest.tpl.ratio_comment", "zh", indicator=spec.indicators[col.indicator].name_zh), "template")
        ws.column_dimensions[get_column_letter(i)].width = 26 if col.role == NAME else 16 if col.role != CODE else 12
    ws.row_dimensions[3].height = 36
    last = FIRST_DATA_ROW + len(spec.entities) - 1
    values = values or {}
    for r, ent in enumerate(spec.entities, start=FIRST_DATA_ROW):
        filled = values.get(ent.code, {})
        for i, col in enumerate(cols, start=1):
            cell = ws.cell(row=r, column=i)
            cell.border = BOX
            if col.role == CODE:
                cell.value, cell.data_type = ent.code, "s"
                cell.fill = LOCKED_FILL
            elif col.role == NAME:
                cell.value = safe_text(ent.name_zh)
                cell.protection = Protection(locked=False)
            elif col.role == INFO:
                cell.value = safe_text(ent.region_name_zh)
                cell.fill = LOCKED_FILL
            else:
                cell.protection = Protection(locked=False)
                cell.number_format = "0" if col.role in (NUM, DEN, COUNT) else "@"
                if col.key in filled:
                    cell.value = safe_text(filled[col.key])
    # Dropdowns: names from a hidden list sheet (a long inline list breaks Excel's 255-character limit).
    lists = wb.create_sheet(LIST_SHEET)
    for i, ent in enumerate(spec.entities, start=1):
        lists.cell(row=i, column=1, value=safe_text(ent.name_zh))
    lists.cell(row=1, column=2, value="是")
    lists.cell(row=2, column=2, value="否")
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    if spec.entities:
        bottom = max(last, FIRST_DATA_ROW)
        for i, col in enumerate(cols, start=1):
            letter = get_column_letter(i)
            rng = f"{letter}{FIRST_DATA_ROW}:{letter}{bottom + 50}"
            if col.role == NAME:
                dv = DataValidation(type="list", formula1=f"={LIST_SHEET}!$A$1:$A${len(spec.entities)}",
                                    allow_blank=True, showErrorMessage=True, errorTitle="名称",
                                    error=t("ingest.tpl.dv_name", "zh"))
            elif col.role == YESNO:
                dv = DataValidation(type="list", formula1=f"={LIST_SHEET}!$B$1:$B$2", allow_blank=True,
                                    showErrorMessage=True, error=t("ingest.tpl.dv_yesno", "zh"))
            elif col.role in (NUM, DEN, COUNT):
                dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, error=t("ingest.tpl.dv_whole", "zh"))
            else:
                continue
            dv.add(rng)
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    # Protect the header and codes; data cells were unlocked above. No password: this prevents slips,
    # it is not security (the server checks everything anyway).
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    meta = wb.create_sheet(META_SHEET)
    for r, (k, v) in enumerate([("template_version", TEMPLATE_VERSION), ("department", spec.department_code),
                                ("period", spec.period_code), ("layout", spec.signature),
                                ("reports_by", spec.reports_by), ("created", dt.date.today().isoformat())],
                               start=1):
        meta.cell(row=r, column=1, value=k)
        put(meta, f"B{r}", v)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _instructions(ws, spec: SheetSpec) -> None:  # noqa: ANN001
    ws.column_dimensions["A"].width = 100
    lines = [t("ingest.tpl.title", "zh", department=spec.department_name_zh, period=spec.period_code)]
    lines += [t(f"ingest.tpl.howto{i}", "zh") for i in range(1, 7)]
    for r, line in enumerate(lines, start=1):
        cell = put(ws, f"A{r}", line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 1:
            cell.font = Font(bold=True, size=14)
    r = len(lines) + 2
    put(ws, f"A{r}", t("ingest.tpl.columns", "zh")).font = Font(bold=True)
    for col in spec.template_columns:
        r += 1
        what = col.label_zh if not col.group_zh else f"{col.group_zh} — {col.label_zh}"
        put(ws, f"A{r}", f"· {what}")
    ws.protection.sheet = True
