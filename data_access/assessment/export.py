"""考核结果 as an Excel workbook and a PDF.

Excel: every text cell goes through the briefing's safe_set (a name or reason typed as "=1+1" stays text,
never a formula); points are numbers already rounded half up to 0.01 and shown with two places; rates
are numbers with Excel's 0.0% format (which rounds half up). The PDF reuses the briefing's fonts (the
CJK font embedded as a subset) and shows the same figures as text, rounded half up.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from data_access.assessment.rules import DEDUCTION, half_up
from data_access.assessment.scores import ItemScore, Result, SubjectScore
from data_access.briefing.excel import BODY_FONT, HEAD_FILL, HEAD_FONT, safe_set
from i18n import t


def points_text(x: float | Decimal | None) -> str:
    return "—" if x is None else f"{half_up(x)}"


def measure_text(line: ItemScore, lang: str, which: str = "value") -> str:
    """The measured value (or the target / floor) as read: 87.5%, 203 人, 75.0%."""
    value = getattr(line, which)
    if value is None:
        return "—" if which != "value" or line.note else t("common.no_data", lang)
    if line.value_kind in ("ratio", "share"):
        return f"{half_up(value * 100, '0.1')}%"
    if line.value_kind == "yesno":
        return t("common.yes", lang) if value >= 1 else t("common.no", lang)
    number = half_up(value, "0.1")
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,}"
    return f"{text} {line.unit}".strip() if lang == "zh" else text


def note_text(line: ItemScore, lang: str) -> str:
    parts = []
    if line.note:
        parts.append(t(f"assess.note.{line.note}", lang))
    if line.kind != "indicator" and line.due:
        key = "assess.misses" if line.kind == "reporting" else "assess.tasks_misses"
        parts.append(t(key, lang, due=line.due, misses=line.misses))
    if line.rule == DEDUCTION and line.deduction:
        parts.append(t("assess.per_miss", lang, points=f"{line.deduction:g}"))
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def label(line: ItemScore, lang: str) -> str:
    return line.label_en if lang == "en" and line.label_en else line.label_zh


def name(row: SubjectScore, lang: str) -> str:
    return row.name_en if lang == "en" and row.name_en else row.name_zh


def title(result: Result, lang: str) -> str:
    return t("assess.export.title", lang, year=result.year, subject=t(f"assess.subject.{result.subject}", lang))


def _sheet(wb: Workbook, sheet_title: str, header: list[str], rows: list[list[Any]], widths: list[int],
           formats: dict[int, str] | None = None) -> None:
    ws = wb.create_sheet(sheet_title[:31])
    for j, text in enumerate(header, start=1):
        cell = ws.cell(row=1, column=j)
        safe_set(cell, text)
        cell.fill, cell.font = HEAD_FILL, HEAD_FONT
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            safe_set(cell, value)
            cell.font = BODY_FONT
            fmt = (formats or {}).get(j)
            if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.number_format = fmt
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


def _cell_value(line: ItemScore, which: str) -> Any:
    """A measure as a number Excel formats (rates 0.0%), or its text when there is none."""
    value = getattr(line, which)
    if value is None:
        return None
    return float(value)


def to_excel(result: Result, lang: str = "zh") -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    items = result.rows[0].items if result.rows else []
    header = [t("assess.col.rank", lang), t("assess.col.name", lang)] + [label(i, lang) for i in items] + [
        t("assess.col.scaled", lang), t("assess.col.adjustment", lang), t("assess.col.total", lang)]
    rows = []
    for r in result.rows:
        rows.append([r.rank, name(r, lang)] + [ln.earned if ln.earned is not None else t(
            "assess.note.not_applicable", lang) for ln in r.items] + [r.scaled, r.adjustment, r.total])
    n = len(items)
    _sheet(wb, t("assess.export.sheet_ranking", lang), header, rows, [8, 24] + [14] * n + [12, 10, 10],
           {j: "0.00" for j in range(3, 6 + n)})
    ws = wb.worksheets[0]
    ws.insert_rows(1)
    safe_set(ws.cell(row=1, column=1), title(result, lang) + "  " + t(
        "assess.export.made", lang, at=f"{dt.datetime.now():%Y-%m-%d %H:%M}", period=result.as_of or "—"))
    ws.cell(row=1, column=1).font = Font(bold=True, name="Microsoft YaHei")
    ws.freeze_panes = "C3"

    detail = []
    for r in result.rows:
        for ln in r.items:
            pct = ln.value_kind in ("ratio", "share")
            detail.append([name(r, lang), label(ln, lang), t(f"assess.rule.{ln.rule}", lang), ln.points,
                           _cell_value(ln, "value"), _cell_value(ln, "target"), _cell_value(ln, "floor"),
                           ln.earned, note_text(ln, lang), "pct" if pct else ""])
    formats_rows = [row.pop() for row in detail]
    _sheet(wb, t("assess.export.sheet_items", lang),
           [t(k, lang) for k in ("assess.col.name", "assess.col.item", "assess.col.rule", "assess.col.points",
                                 "assess.col.value", "assess.col.target", "assess.col.floor", "assess.col.earned",
                                 "assess.col.note")], detail, [20, 28, 22, 8, 12, 12, 12, 10, 36], {4: "0.00", 8: "0.00"})
    ws = wb.worksheets[1]
    for i, kind in enumerate(formats_rows, start=2):   # rates as 0.0 %, counts as numbers
        for j in (5, 6, 7):
            if isinstance(ws.cell(row=i, column=j).value, float):
                ws.cell(row=i, column=j).number_format = "0.0%" if kind == "pct" else "#,##0.0"

    adjustments = [[name(r, lang), a["points"], a["reason"], a["by"], f"{a['at']:%Y-%m-%d %H:%M}"]
                   for r in result.rows for a in r.adjustments]
    _sheet(wb, t("assess.export.sheet_adjustments", lang),
           [t(k, lang) for k in ("assess.col.name", "assess.col.adjustment", "assess.col.reason", "assess.col.by",
                                 "assess.col.at")], adjustments, [20, 10, 48, 18, 18], {2: "0.00"})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(result: Result, lang: str = "zh") -> bytes:
    """One landscape A4 document: the ranking with each item's points, then the adjustments."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from data_access.briefing.pdf import DARK, GREY, _fonts

    regular, r_index, bold, b_index = _fonts()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("cjk", "", regular, collection_font_number=r_index)
    pdf.add_font("cjk", "B", bold, collection_font_number=b_index)
    pdf.set_title(title(result, lang))
    pdf.set_creator("心理服务督导平台")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.set_font("cjk", "B", 18)
    pdf.set_text_color(*DARK)
    pdf.cell(0, 10, title(result, lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 9)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 6, t("assess.export.made", lang, at=f"{dt.datetime.now():%Y-%m-%d %H:%M}", period=result.as_of or "—")
             + "  " + t("assess.total_points", lang, points=f"{result.full_points:g}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_text_color(0, 0, 0)
    items = result.rows[0].items if result.rows else []
    head = [t("assess.col.rank", lang), t("assess.col.name", lang)] + [
        f"{label(i, lang)}（{i.points:g}）" if lang == "zh" else f"{label(i, lang)} ({i.points:g})" for i in items] + [
        t("assess.col.adjustment", lang), t("assess.col.total", lang)]
    size = 8 if len(items) > 5 else 9
    pdf.set_font("cjk", "", size)
    widths = [10, 36] + [(273 - 10 - 36 - 36) / max(1, len(items))] * len(items) + [18, 18]
    with pdf.table(col_widths=widths, text_align="CENTER", line_height=size * 0.55,
                   headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=DARK)) as table:
        row = table.row()
        for h in head:
            row.cell(h)
        for r in result.rows:
            row = table.row()
            row.cell(str(r.rank or "—"))
            row.cell(name(r, lang), align="LEFT")
            for ln in r.items:
                row.cell(points_text(ln.earned) if ln.earned is not None else "—")
            row.cell(points_text(r.adjustment) if r.adjustment else "")
            row.cell(points_text(r.total))
    adjustments = [(name(r, lang), a) for r in result.rows for a in r.adjustments]
    if adjustments:
        pdf.ln(4)
        pdf.set_font("cjk", "B", 12)
        pdf.cell(0, 8, t("assess.adjustments", lang), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", "", 9)
        for who, a in adjustments:
            pdf.multi_cell(0, 5, f"{who}  {a['points']:+g}  {a['reason']}（{a['by']}，{a['at']:%Y-%m-%d}）",
                           new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
