"""The briefing as a PDF (fpdf2): one landscape A4 page per slide, the same content, with the CJK
font embedded (subset) so it prints and reads the same on any machine.

Font: Debian's fonts-noto-cjk (NotoSansCJK, SIL Open Font Licence), installed by `make system-deps`.
BRIEFING_CJK_FONT may point at another .ttf/.otf/.ttc (e.g. a font shipped on an intranet server).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from data_access.briefing.content import (FOLLOWUP_STATUS, SLIDES, Briefing, comment_text, followup_lead,
                                          followup_rows, overdue_rows, worst_text)
from data_access.briefing.mapimage import render_map
from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from i18n import t

REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SC_INDEX = 2  # the Simplified Chinese face in the Noto CJK collection
# Noto CJK lacks the status symbols ✔ ✖; DejaVu (fonts-dejavu-core, on every Debian) has them.
SYMBOLS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SYMBOL_SWAP = str.maketrans({"✔": "√", "✖": "×"})

DARK = (16, 42, 67)
GREY = (87, 96, 106)
STATUS_RGB = {MET: ((26, 127, 55), (220, 252, 231)), NEAR: ((154, 103, 0), (254, 243, 199)),
              BEHIND: ((180, 35, 24), (254, 226, 226)), NO_DATA: ((87, 96, 106), (241, 245, 249))}


class FontMissing(RuntimeError):
    """No CJK font on this machine: a PDF would show boxes, so none is made."""


def _fonts() -> tuple[str, int, str, int]:
    custom = os.environ.get("BRIEFING_CJK_FONT")
    if custom and Path(custom).exists():
        index = SC_INDEX if custom.lower().endswith(".ttc") else 0
        return custom, index, custom, index
    if not Path(REGULAR).exists():
        raise FontMissing(REGULAR)
    bold = BOLD if Path(BOLD).exists() else REGULAR
    return REGULAR, SC_INDEX, bold, SC_INDEX


class _Doc(FPDF):
    def __init__(self, b: Briefing) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.b = b
        regular, r_index, bold, b_index = _fonts()
        self.add_font("cjk", "", regular, collection_font_number=r_index)
        self.add_font("cjk", "B", bold, collection_font_number=b_index)
        self.swap_symbols = not Path(SYMBOLS).exists()
        if not self.swap_symbols:
            self.add_font("symbols", "", SYMBOLS)  # one face: exact_match=False serves bold runs too
            self.set_fallback_fonts(["symbols"], exact_match=False)
        self.set_auto_page_break(False)
        self.set_margins(15, 12, 15)
        self.set_title(f"{b.titles['title']} {b.county} {b.period_label}")
        self.set_creator("心理服务督导平台")
        self.set_lang("zh-CN" if b.lang == "zh" else "en")

    def slide(self, key: str) -> None:
        self.add_page()
        b = self.b
        if key != "title":
            self.set_font("cjk", "B", 22)
            self.set_text_color(*DARK)
            self.set_xy(15, 12)
            self.cell(0, 12, b.titles[key], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_draw_color(31, 95, 153)
            self.set_line_width(0.8)
            self.line(15, 26, self.w - 15, 26)
        self.set_font("cjk", "", 9)
        self.set_text_color(*GREY)
        if b.needs_footnote(key):
            self.set_xy(15, self.h - 22)
            self.multi_cell(self.w - 30, 4.5, b.footnote)
        self.set_xy(15, self.h - 11)
        self.cell(150, 6, f"{b.county} · {b.period_label}")
        self.set_xy(self.w - 45, self.h - 11)
        self.cell(30, 6, t("meeting.slide_number", b.lang, n=SLIDES.index(key) + 1, total=b.slide_count),
                  align="R")
        self.set_text_color(*DARK)
        self.set_xy(15, 30)

    def table(self, rows: list[list[str]], widths: list[float], size: float = 11,
              statuses: list[str] | None = None, status_col: int | None = None, line: float = 8) -> None:
        self.set_font("cjk", "", size)
        self.set_fill_color(255, 255, 255)  # bars() leaves a blue fill behind; body cells are white
        self.set_draw_color(*DARK)
        self.set_line_width(0.2)
        total = sum(widths)
        widths = [w * (self.w - 30) / total for w in widths]
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=DARK)
        with super().table(col_widths=widths, line_height=line, text_align="LEFT", first_row_as_headings=True,
                           headings_style=heading) as tbl:
            for i, values in enumerate(rows):
                row = tbl.row()
                for j, value in enumerate(values):
                    style = None
                    if i and statuses is not None and j == status_col:
                        fg, bg = STATUS_RGB.get(statuses[i - 1], STATUS_RGB[NO_DATA])
                        style = FontFace(emphasis="BOLD", color=fg, fill_color=bg)
                    row.cell(value.translate(SYMBOL_SWAP) if self.swap_symbols else value, style=style)

    def bars(self, items: list[tuple[str, float | None, float | None, str]], x: float, y: float, w: float,
             h: float, size: float = 10) -> None:
        """A horizontal bar per item: (label, value 0..1, target 0..1, value text); target as a tick."""
        if not items:
            return
        step = h / len(items)
        label_w = w * 0.45
        bar_w = w - label_w - 22
        self.set_font("cjk", "", size)
        for i, (label, value, target, text) in enumerate(items):
            top = y + i * step
            self.set_xy(x, top)
            self.set_text_color(*DARK)
            self.cell(label_w - 2, step * 0.8, label[:26], align="R")
            self.set_fill_color(226, 232, 240)
            self.rect(x + label_w, top + step * 0.15, bar_w, step * 0.5, style="F")
            if value is not None:
                self.set_fill_color(31, 95, 153)
                self.rect(x + label_w, top + step * 0.15, bar_w * max(0.0, min(value, 1.0)), step * 0.5, style="F")
            if target is not None:
                self.set_draw_color(180, 35, 24)
                self.set_line_width(0.6)
                tx = x + label_w + bar_w * min(target, 1.0)
                self.line(tx, top + step * 0.05, tx, top + step * 0.75)
            self.set_xy(x + label_w + bar_w + 1, top)
            self.cell(20, step * 0.8, text)


def build_pdf(b: Briefing) -> bytes:
    doc = _Doc(b)
    lang = b.lang

    # 1 title
    doc.slide("title")
    doc.set_font("cjk", "B", 30)
    doc.set_xy(15, 60)
    doc.multi_cell(doc.w - 30, 16, b.titles["title"], align="C")
    doc.set_font("cjk", "", 22)
    doc.set_xy(15, 95)
    doc.cell(doc.w - 30, 14, t("meeting.subtitle", lang, county=b.county, period=b.period_label), align="C")
    doc.set_font("cjk", "", 16)
    doc.set_text_color(*GREY)
    doc.set_xy(15, 115)
    doc.cell(doc.w - 30, 10, f"{t('meeting.meeting_name', lang)} · {b.date_text}", align="C")

    # 2 overview
    doc.slide("overview")
    c = b.counts
    doc.set_font("cjk", "", 13)
    doc.cell(0, 8, t("meeting.counts", lang, met=c[MET], near=c[NEAR], behind=c[BEHIND], missing=c[NO_DATA]),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(2)
    head = [t(f"meeting.col.{k}", lang) for k in ("indicator", "value", "target", "status", "change")]
    rows = [[f.name, f.text, f.target_text, f.status_text, f.change_text] for f in b.targets]
    if any(f.comments for f in b.targets):  # leaders' comments beside the figures
        doc.table([head + [t("meeting.col.comment", lang)]] + [r + [comment_text(f, lang)] for r, f in zip(rows, b.targets)],
                  [4.4, 1.1, 1.1, 1.1, 1.1, 3.0], size=10.5, statuses=[f.status for f in b.targets], status_col=3,
                  line=8)
    else:
        doc.table([head] + rows, [5.2, 1.3, 1.3, 1.3, 1.3], size=12.5, statuses=[f.status for f in b.targets],
                  status_col=3, line=10)

    # 3 short of target
    doc.slide("behind")
    if not b.behind:
        doc.set_font("cjk", "", 18)
        doc.cell(0, 14, t("meeting.no_behind", lang))
    else:
        head = [t(f"meeting.col.{k}", lang) for k in ("indicator", "value", "target", "status", "worst")]
        doc.table([head] + [[i.figure.name, i.figure.text, i.figure.target_text, i.figure.status_text,
                             worst_text(i, lang)] for i in b.behind],
                  [3.2, 1.1, 1.1, 1.1, 5.0], size=10.5, statuses=[i.figure.status for i in b.behind], status_col=3)
        first = b.behind_chart()
        if first is not None:
            rows = [r for r in b.township_rows if r["indicator"] == first.figure.code]
            rows.sort(key=lambda r: (r["value"] is None, r["value"] if r["value"] is not None else 0))
            top = doc.get_y() + 6
            doc.set_font("cjk", "B", 12)
            doc.set_xy(15, top)
            doc.cell(0, 7, first.figure.name)
            items = [(r["region"], r["value"], first.figure.target, r["value_text"]) for r in rows]
            doc.bars(items, 15, top + 8, doc.w - 30, max(30.0, doc.h - 24 - (top + 8)), size=9)

    # 4 map
    doc.slide("map")
    picture = io.BytesIO(render_map(b, 1500, 940))
    doc.image(picture, x=(doc.w - 240) / 2, y=30, w=240, h=150)
    if b.coverage:
        doc.set_xy(15, 182)
        doc.set_font("cjk", "", 12)
        doc.cell(0, 8, t("meeting.map_caption", lang, value=b.coverage.text, target=b.coverage.target_text))

    # 5 departments
    doc.slide("departments")
    missing = sum(d.state == "missing" for d in b.departments)
    late = sum(d.state == "late" for d in b.departments)
    doc.set_font("cjk", "", 15)
    doc.cell(0, 10, t("meeting.dept_all_in", lang, due=b.departments_due) if not b.departments else
             t("meeting.dept_summary", lang, due=b.departments_due, missing=missing, late=late),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(3)
    if b.departments:
        doc.table([[t("meeting.col.department", lang), t("meeting.col.state", lang)]]
                  + [[d.name, d.text] for d in b.departments], [5, 6], size=15,
                  statuses=[BEHIND if d.state == "missing" else NEAR for d in b.departments], status_col=1, line=11)

    # 6 outcomes
    doc.slide("outcomes")
    doc.table([[t(f"meeting.col.{k}", lang) for k in ("indicator", "value", "change")]]
              + [[f.name, f.text, f.change_text] for f in b.outcomes], [6, 3, 3], size=12, line=7.5)
    if len(b.outcome_table) > 1:
        doc.ln(4)
        doc.table(b.outcome_table, [2.2] + [1.6] * (len(b.outcome_table[0]) - 1), size=8.5, line=5.2)

    # 7 the last meeting's decisions and their tasks; the other overdue tasks
    doc.slide("followup")
    doc.set_font("cjk", "", 13)
    doc.multi_cell(doc.w - 30, 7, followup_lead(b), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(2)
    if b.followup:
        rows = followup_rows(b)
        doc.table(rows, [0.5, 5.4, 1.2, 2.0, 1.3, 1.7], size=10.5,
                  statuses=[FOLLOWUP_STATUS[i.status] for i in b.followup[:len(rows) - 1]], status_col=5, line=7)
    if b.overdue_tasks:
        doc.ln(4)
        doc.set_font("cjk", "B", 12)
        doc.cell(0, 8, t("followup.overdue_title", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        rows = overdue_rows(b)
        doc.table(rows, [6.0, 2.5, 1.6, 1.6], size=10.5, statuses=[FOLLOWUP_STATUS["overdue"]] * (len(rows) - 1),
                  status_col=3, line=7)

    # 8 next steps
    doc.slide("next_steps")
    doc.set_font("cjk", "", 16)
    if b.next_steps:
        for i, step in enumerate(b.next_steps, 1):
            doc.set_x(15)
            doc.multi_cell(doc.w - 30, 10, f"{i}. {step}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        doc.cell(0, 10, t("meeting.no_steps", lang))
    return bytes(doc.output())
