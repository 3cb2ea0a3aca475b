"""Figures round half up (四舍五入) everywhere: the helper, then one figure of 9/16 = 56.25 % followed
through a page, the map, the slides, the PDF and the Excel text; change in 个百分点; yes/no "—"."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from i18n.numbers import change_text, count_text, fixed, percent, round_half_up, target_text, value_text


@pytest.mark.parametrize("value, digits, expected", [
    (0.5625, 1, "56.3"), (0.0425, 1, "4.3"), (0.0025, 0, "0"), (0.005, 0, "1"), (0.125, 0, "13"),
    (1.0, 1, "100.0"), (0.0, 1, "0.0"), (0.855, 1, "85.5"), (1 / 3, 1, "33.3"),
])
def test_percent_rounds_half_up(value: float, digits: int, expected: str) -> None:
    assert percent(value, digits) == expected


def test_arithmetic_noise_does_not_turn_a_half_down() -> None:
    # 0.5625 − 0.54 is 0.022499999999999964 in binary: the reader's 2.25 points read 2.3.
    assert 0.5625 - 0.54 != 0.0225
    assert percent(0.5625 - 0.54, 1, sign=True) == "+2.3"
    assert fixed(2.25) == "2.3" and fixed(-2.25) == "-2.3" and fixed(-0.04) == "0.0"
    assert round_half_up(56.25) == 56.3 and round_half_up(0.5625 * 100) == 56.3


def test_value_change_and_target_texts() -> None:
    assert value_text(9 / 16, "ratio", "%", "zh") == "56.3%"
    assert value_text(12.25, "count", "人", "zh") == "12.3 人" and value_text(3545, "count", "人次", "zh") == "3,545 人次"
    assert count_text(2424.0) == "2,424"
    assert change_text(0.02, "ratio", "zh") == "+2.0 个百分点"
    assert change_text(0.02, "ratio", "en") == "+2.0 pp"
    assert change_text(0.5625 - 0.54, "ratio", "zh") == "+2.3 个百分点"
    assert change_text(12, "count", "zh") == "+12" and change_text(-1234, "count", "en") == "-1,234"
    # A hotline that stayed in service did not change "+0": a yes/no indicator has no change.
    assert change_text(0.0, "yesno", "zh") == "—" and change_text(1.0, "yesno", "en") == "—"
    assert change_text(None, "ratio", "zh") == "—"
    assert target_text(0.825, ">=", "ratio", "%", "zh") == "≥ 83%"


# --- one figure, every place it is shown ---------------------------------------------------------

def _nine_of_sixteen(engine) -> None:  # noqa: ANN001
    """2026Q3's 严重精神障碍患者规范管理率: only 黄岭乡 reports, 9 of 16 — the county is 56.25 % too."""
    from sqlalchemy import delete, select

    from data_access import db
    from data_access import indicators as ix
    from data_access import models as m
    from data_access.db import session_scope

    with session_scope(engine) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == "smd_managed"))
        period = ix.period_by_code(s, "2026Q3")
        town = s.scalar(select(m.Region).where(m.Region.code == "990101002"))
        s.execute(delete(m.Observation).where(m.Observation.indicator_id == ind.id,
                                              m.Observation.period_id == period.id,
                                              m.Observation.region_id != town.id))
        obs = s.scalar(select(m.Observation).where(m.Observation.indicator_id == ind.id,
                                                   m.Observation.period_id == period.id,
                                                   m.Observation.region_id == town.id))
        obs.numerator, obs.denominator, obs.value = 9.0, 16.0, 9 / 16
        db.bump_data_version(s)
    with session_scope(engine) as s:  # read back what the database stored
        row = ix.indicator_values(s, [ix.period_by_code(s, "2026Q3")], [ix.root_region(s)], ["smd_managed"]).iloc[0]
        assert (row.numerator, row.denominator, row.value) == (9, 16, 0.5625)


def test_56_25_reads_56_3_on_page_map_slides_pdf_and_excel(writable_app, tmp_path) -> None:  # noqa: ANN001
    from openpyxl import load_workbook
    from pptx import Presentation

    from data_access import geo
    from data_access import indicators as ix
    from data_access.briefing import content, excel, pdf, pptx
    from data_access.db import session_scope
    from view_helpers import html_tables, open_view

    _nine_of_sixteen(writable_app)
    name = "严重精神障碍患者规范管理率"
    # The overview page.
    at = open_view(writable_app, "pages/home.py", query={"period": "2026Q3"})
    assert not at.exception
    frame = html_tables(at)[0].set_index("指标")
    assert frame.loc[name, "当前值"] == "56.3%"
    assert frame.loc[name, "较上季度"].endswith(" 个百分点")
    # The map's tooltip.
    with session_scope(writable_app) as s:
        data = geo.build_map(s, ix.period_by_code(s, "2026Q3"), "status:smd_managed", "zh")
        b = content.assemble(s, "2026Q3", "zh")
    tip = next(f["tip"] for f in data.fills if f["level"] == "township" and f["code"] == "990101002")
    assert "：56.3%\n（9 / 16）" in tip
    figure = next(f for f in b.targets if f.code == "smd_managed")
    assert figure.text == "56.3%" and figure.change_text.endswith(" 个百分点") and "pp" not in figure.change_text
    hotline = next(f for f in b.targets if f.code == "hotline_24h")
    assert hotline.change_text == "—"
    # The slides: the overview table and the chart value behind the bar.
    deck = Presentation(io.BytesIO(pptx.build_deck(b)))
    slide = list(deck.slides)[1]
    cells = [c.text for sh in slide.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    assert "56.3%" in cells and "56.2%" not in cells
    chart = next(sh.chart for sh in slide.shapes if sh.has_chart)
    assert dict(zip(chart.plots[0].categories, chart.plots[0].series[0].values))[name] == 56.3
    # The Excel text beside the number (the number itself keeps every digit; its format shows 56.3%).
    wb = load_workbook(io.BytesIO(excel.build_workbook(b)))
    row = next(r for r in wb["目标指标"].iter_rows(min_row=2, values_only=True) if r[0] == "smd_managed")
    assert row[2] == 0.5625 and row[3] == "56.3%"
    # The PDF.
    if shutil.which("pdftotext"):
        path = tmp_path / "b.pdf"
        path.write_bytes(pdf.build_pdf(b))
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "56.3%" in text and "56.2%" not in text and " pp" not in text
