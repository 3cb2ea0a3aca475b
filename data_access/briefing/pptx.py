"""The briefing as a PowerPoint deck: the same slides as the meeting page, with native charts
(editable in PowerPoint / WPS: right-click, edit data) and tables, Chinese fonts named on every run.

Fonts: runs name 微软雅黑 ("Microsoft YaHei") for both the Latin and the East Asian slot, which
Office and WPS on Windows have; on a machine without it they substitute their own CJK font.
"""
from __future__ import annotations

import io
import math

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from data_access.briefing.content import (FOLLOWUP_STATUS, SLIDES, Briefing, Figure, comment_text, followup_lead,
                                          followup_rows, overdue_rows, worst_text)
from data_access.briefing.mapimage import render_map
from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from i18n import t
from i18n.numbers import percent

FONT = "Microsoft YaHei"
FONT_EA = "微软雅黑"
DARK = RGBColor(0x10, 0x2A, 0x43)
GREY = RGBColor(0x57, 0x60, 0x6A)
STATUS_RGB = {MET: (RGBColor(0x1A, 0x7F, 0x37), RGBColor(0xDC, 0xFC, 0xE7)),
              NEAR: (RGBColor(0x9A, 0x67, 0x00), RGBColor(0xFE, 0xF3, 0xC7)),
              BEHIND: (RGBColor(0xB4, 0x23, 0x18), RGBColor(0xFE, 0xE2, 0xE2)),
              NO_DATA: (RGBColor(0x57, 0x60, 0x6A), RGBColor(0xF1, 0xF5, 0xF9))}
W, H = Inches(13.333), Inches(7.5)


def _name_font(font) -> None:  # noqa: ANN001
    """Latin and East Asian typeface on a run/paragraph/chart font (python-pptx sets Latin only)."""
    font.name = FONT
    rpr = font._element  # a:rPr of a run, a:defRPr of a chart's text properties
    latin = rpr.find(qn("a:latin"))
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        latin.addnext(ea)
    ea.set("typeface", FONT_EA)


def _text(frame, text: str, size: int, bold: bool = False, colour: RGBColor = DARK,  # noqa: ANN001
          align: PP_ALIGN | None = None) -> None:
    frame.word_wrap = True
    first = True
    for line in text.split("\n"):
        para = frame.paragraphs[0] if first else frame.add_paragraph()
        first = False
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = colour
        _name_font(run.font)
        if align is not None:
            para.alignment = align


def _box(slide, left, top, width, height, text: str, size: int, **kw) -> None:  # noqa: ANN001
    shape = slide.shapes.add_textbox(left, top, width, height)
    _text(shape.text_frame, text, size, **kw)


def _frame(prs: Presentation, b: Briefing, key: str):  # noqa: ANN202
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    n = SLIDES.index(key) + 1
    if key != "title":
        _box(slide, Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.9), b.titles[key], 32, bold=True)
    footer = f"{b.county} · {b.period_label}"
    _box(slide, Inches(0.5), Inches(7.0), Inches(8), Inches(0.4), footer, 11, colour=GREY)
    _box(slide, Inches(11.3), Inches(7.0), Inches(1.6), Inches(0.4),
         t("meeting.slide_number", b.lang, n=n, total=b.slide_count), 12, colour=GREY, align=PP_ALIGN.RIGHT)
    if b.needs_footnote(key):  # only where a "*" is on the slide
        _box(slide, Inches(0.5), Inches(6.55), Inches(12.3), Inches(0.45), b.footnote, 10, colour=GREY)
    return slide


def _table(slide, rows: list[list[str]], left, top, width, col_widths: list[float], size: int = 14,  # noqa: ANN001
           statuses: list[str] | None = None, status_col: int | None = None) -> None:
    height = Inches(0.42) * len(rows)
    shape = slide.shapes.add_table(len(rows), len(rows[0]), left, top, width, height)
    table = shape.table
    total = sum(col_widths)
    for j, w in enumerate(col_widths):
        table.columns[j].width = Emu(int(width * w / total))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text_frame.paragraphs[0].text = ""
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            colour = DARK if i else RGBColor(0xFF, 0xFF, 0xFF)
            if i and statuses is not None and j == status_col:
                fg, bg = STATUS_RGB.get(statuses[i - 1], STATUS_RGB[NO_DATA])
                cell.fill.solid()
                cell.fill.fore_color.rgb = bg
                colour = fg
            _text(cell.text_frame, value, size, bold=(i == 0 or (statuses is not None and j == status_col)),
                  colour=colour)


def _bar_chart(slide, categories: list[str], series: list[tuple[str, list[float | None]]], left, top,  # noqa: ANN001
               width, height, percent: bool = True) -> None:
    data = CategoryChartData(number_format='0.0"%"' if percent else "#,##0")
    data.categories = categories
    for name, values in series:
        data.add_series(name, values)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data).chart
    chart.font.size = Pt(12)
    _name_font(chart.font)
    chart.has_legend = len(series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = '0.0"%"' if percent else "#,##0"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    plot.gap_width = 60
    colours = [RGBColor(0x1F, 0x5F, 0x99), RGBColor(0xB0, 0xB8, 0xC0)]
    for s, colour in zip(plot.series, colours):
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = colour
    # Categories top-down in the order given (bar charts draw the first category at the bottom).
    chart.category_axis.reverse_order = True
    # Every category labelled (PowerPoint otherwise skips every other one when they are crowded).
    chart.category_axis.tick_labels.font.size = Pt(10 if len(categories) > 10 else 12)
    _name_font(chart.category_axis.tick_labels.font)
    ax = chart.category_axis._element
    skip = ax.find(qn("c:tickLblSkip"))
    if skip is None:
        skip = etree.SubElement(ax, qn("c:tickLblSkip"))
        # schema order: tickLblSkip comes after c:lblOffset (or c:lblAlgn), before c:tickMarkSkip/c:noMultiLvlLbl
        anchor = ax.find(qn("c:lblOffset"))
        if anchor is not None:
            anchor.addnext(skip)
    skip.set("val", "1")
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.visible = False  # the data labels carry the numbers; the axis only crowds a narrow chart
    if percent:
        chart.value_axis.maximum_scale = 110.0
        chart.value_axis.minimum_scale = 0.0


def axis_range(values: list[float | None], target: float | None, step: float = 5.0) -> tuple[float, float]:
    """A value axis (in %) fitted to the bars and the target, on whole steps: bars from 55 % to 62 %
    on a 0–110 % axis all look the same length. Never below 0 nor above 100 unless a value is."""
    present = [v for v in values if v is not None] + ([target] if target is not None else [])
    if not present:
        return 0.0, 100.0
    low, high = min(present), max(present)
    pad = max(step / 2, (high - low) * 0.15)
    lower = max(0.0, math.floor((low - pad) / step) * step)
    upper = math.ceil((high + pad) / step) * step
    upper = min(upper, max(100.0, math.ceil(high / step) * step))
    if upper <= lower:
        upper = lower + step
    return lower, upper


def _target_chart(slide, b: Briefing, figure: Figure, categories: list[str], values: list[float | None],  # noqa: ANN001
                  left, top, width, height) -> None:  # noqa: ANN001
    """Townships as columns with the target as a line across them (a native combo chart: the line is
    a second series of the same chart, editable in PowerPoint / WPS), on an axis fitted to the data."""
    target = None if figure.target is None else float(percent(figure.target))
    data = CategoryChartData(number_format='0.0"%"')
    data.categories = categories
    data.add_series(figure.name, values)
    target_name = f"{t('meeting.chart.target', b.lang)} {figure.target_text}"
    data.add_series(target_name, [target] * len(categories) if target is not None else [None] * len(categories))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, left, top, width, height, data).chart
    chart.font.size = Pt(11)
    _name_font(chart.font)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.number_format = '0.0"%"'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    bars = plot.series[0]
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = RGBColor(0x1F, 0x5F, 0x99)
    # Move the target series out of the column chart into a line chart on the same axes.
    bar_xml = plot._element
    target_ser = bar_xml.findall(qn("c:ser"))[1]
    bar_xml.remove(target_ser)
    for tag in ("c:invertIfNegative", "c:shape"):
        for el in target_ser.findall(qn(tag)):
            target_ser.remove(el)
    line_xml = etree.Element(qn("c:lineChart"))
    etree.SubElement(line_xml, qn("c:grouping")).set("val", "standard")
    etree.SubElement(line_xml, qn("c:varyColors")).set("val", "0")
    line_xml.append(target_ser)
    etree.SubElement(line_xml, qn("c:marker")).set("val", "1")
    for ax_id in bar_xml.findall(qn("c:axId")):
        etree.SubElement(line_xml, qn("c:axId")).set("val", ax_id.get("val"))
    bar_xml.addnext(line_xml)
    # The line: red, dashed, no markers (schema order: spPr after tx, marker after spPr).
    sp_pr = etree.fromstring(
        '<c:spPr xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:ln w="28575">'
        '<a:solidFill><a:srgbClr val="B42318"/></a:solidFill><a:prstDash val="dash"/></a:ln></c:spPr>')
    marker = etree.fromstring('<c:marker xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart">'
                              '<c:symbol val="none"/></c:marker>')
    old = target_ser.find(qn("c:spPr"))
    if old is not None:
        target_ser.remove(old)
    tx = target_ser.find(qn("c:tx"))
    tx.addnext(sp_pr)
    sp_pr.addnext(marker)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.category_axis.tick_labels.font.size = Pt(10)
    _name_font(chart.category_axis.tick_labels.font)
    low, high = axis_range(values, target)
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale = low, high
    axis.major_unit = 5.0 if high - low <= 40 else 10.0
    axis.has_major_gridlines = True
    axis.major_gridlines.format.line.color.rgb = RGBColor(0xE2, 0xE8, 0xF0)
    axis.tick_labels.number_format = '0"%"'
    axis.tick_labels.number_format_is_linked = False
    axis.visible = True  # an axis that does not start at 0 must say so


def _pct(f: Figure) -> float | None:
    return None if f.value is None else float(percent(f.value))


def build_deck(b: Briefing) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = W, H

    # 1 title
    slide = _frame(prs, b, "title")
    _box(slide, Inches(0.8), Inches(2.0), Inches(11.7), Inches(1.4), b.titles["title"], 40, bold=True,
         align=PP_ALIGN.CENTER)
    _box(slide, Inches(0.8), Inches(3.5), Inches(11.7), Inches(0.9),
         t("meeting.subtitle", b.lang, county=b.county, period=b.period_label), 30, align=PP_ALIGN.CENTER)
    _box(slide, Inches(0.8), Inches(4.6), Inches(11.7), Inches(0.7),
         f"{t('meeting.meeting_name', b.lang)} · {b.date_text}", 22, colour=GREY, align=PP_ALIGN.CENTER)

    # 2 overview: table + native chart of the rates against their targets
    slide = _frame(prs, b, "overview")
    c = b.counts
    _box(slide, Inches(0.5), Inches(1.1), Inches(12.3), Inches(0.5),
         t("meeting.counts", b.lang, met=c[MET], near=c[NEAR], behind=c[BEHIND], missing=c[NO_DATA]), 18)
    # The same columns as the meeting page and the PDF, the change since last quarter included.
    head = [t(f"meeting.col.{k}", b.lang) for k in ("indicator", "value", "target", "status", "change")]
    rows = [head] + [[f.name, f.text, f.target_text, f.status_text, f.change_text] for f in b.targets]
    widths = [3.6, 1.1, 1.1, 1.1, 1.5]
    if any(f.comments for f in b.targets):  # leaders' comments beside the figures
        rows = [r + [c] for r, c in zip(rows, [t("meeting.col.comment", b.lang)]
                                         + [comment_text(f, b.lang) for f in b.targets])]
        widths = [3.0, 0.9, 0.9, 0.9, 1.0, 2.0]
    _table(slide, rows, Inches(0.5), Inches(1.7), Inches(7.6), widths, size=11 if len(widths) == 5 else 9,
           statuses=[f.status for f in b.targets], status_col=3)
    rates = [f for f in b.targets if f.kind == "ratio"]
    _bar_chart(slide, [f.name for f in rates],
               [(t("meeting.chart.value", b.lang), [_pct(f) for f in rates]),
                (t("meeting.chart.target", b.lang), [None if f.target is None else float(percent(f.target))
                                                    for f in rates])],
               Inches(8.3), Inches(1.6), Inches(4.7), Inches(5.3))

    # 3 short of target, townships furthest behind
    slide = _frame(prs, b, "behind")
    if not b.behind:
        _box(slide, Inches(0.8), Inches(2.5), Inches(11.7), Inches(1.0), t("meeting.no_behind", b.lang), 28)
    else:
        head = [t(f"meeting.col.{k}", b.lang) for k in ("indicator", "value", "target", "status", "worst")]
        rows = [head]
        for item in b.behind:
            rows.append([item.figure.name, item.figure.text, item.figure.target_text, item.figure.status_text,
                         worst_text(item, b.lang)])
        _table(slide, rows, Inches(0.5), Inches(1.3), Inches(12.3), [3.2, 1.1, 1.1, 1.1, 5.0], size=14,
               statuses=[i.figure.status for i in b.behind], status_col=3)
        first = b.behind_chart()
        if first is not None:
            areas = [a for a in b.township_rows if a["indicator"] == first.figure.code]
            areas.sort(key=lambda a: (a["value"] is None, a["value"] if a["value"] is not None else 0))
            top = Inches(1.5) + Inches(0.42) * len(rows)
            _target_chart(slide, b, first.figure,
                          [a["region"] + (f" ({a['value_text']})" if a["value"] is None else "") for a in areas],
                          [None if a["value"] is None else float(percent(a["value"])) for a in areas],
                          Inches(0.5), top, Inches(12.3), max(Inches(6.45) - top, Inches(2.5)))

    # 4 coverage map (a picture: no native chart type draws polygons)
    slide = _frame(prs, b, "map")
    picture = io.BytesIO(render_map(b, 1500, 940))
    slide.shapes.add_picture(picture, Inches(1.5), Inches(1.2), height=Inches(5.2))
    if b.coverage:
        _box(slide, Inches(0.5), Inches(6.45), Inches(12.3), Inches(0.5),
             t("meeting.map_caption", b.lang, value=b.coverage.text, target=b.coverage.target_text), 14)

    # 5 departments
    slide = _frame(prs, b, "departments")
    missing = sum(d.state == "missing" for d in b.departments)
    late = sum(d.state == "late" for d in b.departments)
    summary = (t("meeting.dept_all_in", b.lang, due=b.departments_due) if not b.departments else
               t("meeting.dept_summary", b.lang, due=b.departments_due, missing=missing, late=late))
    _box(slide, Inches(0.5), Inches(1.2), Inches(12.3), Inches(0.6), summary, 20)
    if b.departments:
        rows = [[t("meeting.col.department", b.lang), t("meeting.col.state", b.lang)]]
        rows += [[d.name, d.text] for d in b.departments]
        _table(slide, rows, Inches(0.8), Inches(2.0), Inches(11.7), [5, 6], size=20,
               statuses=[BEHIND if d.state == "missing" else NEAR for d in b.departments], status_col=1)

    # 6 outcomes
    slide = _frame(prs, b, "outcomes")
    rows = [[t(f"meeting.col.{k}", b.lang) for k in ("indicator", "value", "change")]]
    rows += [[f.name, f.text, f.change_text] for f in b.outcomes]
    _table(slide, rows, Inches(0.5), Inches(1.3), Inches(5.0), [3.2, 1.6, 1.4], size=14)
    if len(b.outcome_table) > 1:
        _table(slide, b.outcome_table, Inches(5.8), Inches(1.3), Inches(7.0),
               [2.2] + [1.6] * (len(b.outcome_table[0]) - 1), size=10)
        for row in slide.shapes[-1].table.rows:
            row.height = Inches(0.34)

    # 7 the last meeting's decisions and their tasks; the other overdue tasks
    slide = _frame(prs, b, "followup")
    _box(slide, Inches(0.5), Inches(1.1), Inches(12.3), Inches(0.7), followup_lead(b), 16)
    top = Inches(1.9)
    if b.followup:
        rows = followup_rows(b)
        _table(slide, rows, Inches(0.5), top, Inches(12.3), [0.5, 5.4, 1.2, 2.0, 1.3, 1.7], size=11,
               statuses=[FOLLOWUP_STATUS[i.status] for i in b.followup[:len(rows) - 1]], status_col=5)
        top = top + Inches(0.42) * len(rows) + Inches(0.2)
    if b.overdue_tasks:
        _box(slide, Inches(0.5), top, Inches(12.3), Inches(0.45), t("followup.overdue_title", b.lang), 14, bold=True)
        rows = overdue_rows(b)
        _table(slide, rows, Inches(0.5), top + Inches(0.45), Inches(12.3), [6.0, 2.5, 1.6, 1.6], size=11,
               statuses=[FOLLOWUP_STATUS["overdue"]] * (len(rows) - 1), status_col=3)

    # 8 next steps
    slide = _frame(prs, b, "next_steps")
    text = "\n".join(f"{i}. {s}" for i, s in enumerate(b.next_steps, 1)) or t("meeting.no_steps", b.lang)
    _box(slide, Inches(0.8), Inches(1.4), Inches(11.7), Inches(5.2), text, 24)

    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()

