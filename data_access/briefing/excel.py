"""The tables behind the briefing as an Excel workbook (openpyxl), formula-injection safe.

Why the care: names and notes come from people (region names, next steps typed by an admin). A
text starting with = + - @ (or a tab / carriage return) would be read by openpyxl, and by Excel on
re-entry, as a formula. Every text cell is therefore written as an explicit string with Excel's own
quote-prefix flag: it shows exactly as typed and is never evaluated. Numbers stay numbers.
"""
from __future__ import annotations

import io
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.briefing.content import Briefing, Figure
from i18n import t

RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")
HEAD_FILL = PatternFill("solid", fgColor="102A43")
HEAD_FONT = Font(bold=True, color="FFFFFF", name="Microsoft YaHei")
BODY_FONT = Font(name="Microsoft YaHei")


def safe_set(cell: Cell, value: object) -> None:
    """Write a value so that text can never become a formula."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        value = str(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if value.startswith(RISKY_START):
            cell.quotePrefix = True
    else:
        cell.value = value


def _sheet(wb: Workbook, title: str, header: list[str], rows: Iterable[list[object]],
           widths: list[int], percent_cols: Iterable[int] = (), percent_rows: Iterable[int] | None = None) -> None:
    ws = wb.create_sheet(title[:31])
    for j, text in enumerate(header, start=1):
        cell = ws.cell(row=1, column=j)
        safe_set(cell, text)
        cell.fill, cell.font = HEAD_FILL, HEAD_FONT
    percent = set(percent_cols)
    ratio_rows = None if percent_rows is None else {r + 2 for r in percent_rows}
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            safe_set(cell, value)
            cell.font = BODY_FONT
            if j in percent and isinstance(value, float) and (ratio_rows is None or i in ratio_rows):
                cell.number_format = "0.0%"
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


def _count(text: str) -> object:
    """"2,424" -> 2424 (a number the office can sum); "<5", "*" and blanks stay as they are shown."""
    plain = text.replace(",", "")
    return int(plain) if plain.isdigit() else text


def _figure_row(f: Figure, with_target: bool) -> list[object]:
    # The value column holds the number when it may be shown (so the office can compute with it),
    # and the display text beside it ("<5", "*", "暂无数据") says why when it may not.
    row: list[object] = [f.code, f.name, f.value, f.text, _count(f.numerator_text), _count(f.denominator_text)]
    if with_target:
        row += [f.target_text, f.status_text]
    return row + [f.change_text]


def build_workbook(b: Briefing) -> bytes:
    lang = b.lang
    wb = Workbook()
    about = wb.active
    about.title = t("meeting.sheet.about", lang)[:31]
    for i, line in enumerate([b.titles["title"], t("meeting.subtitle", lang, county=b.county, period=b.period_label),
                              t("meeting.generated", lang, date=b.date_text), b.footnote], start=1):
        safe_set(about.cell(row=i, column=1), line)
        about.cell(row=i, column=1).alignment = Alignment(wrap_text=False)
    about.column_dimensions["A"].width = 100

    col = lambda k: t(f"meeting.col.{k}", lang)  # noqa: E731
    # Two value columns: the number (blank when suppressed or missing) and the text as shown.
    head = [col("indicator_code"), col("indicator"), col("value"), col("value") + " *", col("numerator"), col("denominator")]
    _sheet(wb, t("meeting.sheet.overview", lang), head + [col("target"), col("status"), col("change")],
           [_figure_row(f, True) for f in b.targets], [22, 50, 12, 14, 12, 12, 14, 12, 14], percent_cols=[3],
           percent_rows=[i for i, f in enumerate(b.targets) if f.kind == "ratio"])
    _sheet(wb, t("meeting.sheet.outcomes", lang), head + [col("change")],
           [_figure_row(f, False) for f in b.outcomes], [22, 40, 12, 14, 12, 12, 14], percent_cols=[3],
           percent_rows=[i for i, f in enumerate(b.outcomes) if f.kind == "ratio"])
    _sheet(wb, t("meeting.sheet.townships", lang),
           [col("indicator_code"), col("indicator"), col("township_code"), col("township"), col("numerator"), col("denominator"),
            col("value"), col("value") + " *", col("status"), col("suppressed")],
           [[r["indicator"], r["indicator_name"], r["region_code"], r["region"], _count(r["numerator"]), _count(r["denominator"]),
             r["value"], r["value_text"], r["status"], t("common.yes", lang) if r["suppressed"] else ""]
            for r in b.township_rows],
           [22, 40, 12, 18, 10, 10, 10, 12, 12, 8], percent_cols=[7],
           percent_rows=[i for i, r in enumerate(b.township_rows) if r["kind"] == "ratio"])
    _sheet(wb, t("meeting.sheet.departments", lang), [col("code"), col("department"), col("state")],
           [[d.code, d.name, d.text] for d in b.departments], [14, 30, 40])
    _sheet(wb, t("meeting.sheet.next_steps", lang), [col("step"), t("meeting.slide.next_steps", lang)],
           [[i, s] for i, s in enumerate(b.next_steps, 1)], [8, 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
