"""The deck, the PDF and the Excel tables: opened again and checked against the database, with the
industrial park's small counts suppressed in every one of them."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import time
import zipfile

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from data_access import indicators as ix
from data_access.briefing import content, excel, pdf, pptx
from data_access.briefing.content import SLIDES
from data_access.db import session_scope

TODAY = dt.date(2026, 11, 23)
STEPS = ["加快北山乡、黄岭乡村级心理咨询室建设", "=HYPERLINK(\"http://evil\",\"点击\")"]


@pytest.fixture
def briefing(sample_sqlite):  # noqa: ANN001, ANN201
    with session_scope(sample_sqlite) as s:
        b = content.assemble(s, "2026Q3", "zh", today=TODAY)
    b.next_steps = list(STEPS)  # not stored: the sample database is shared and read-only
    return b


def _expected(engine) -> dict[str, ix.IndicatorStatus]:  # noqa: ANN001
    with session_scope(engine) as s:
        return {r.code: r for r in ix.region_summary(s, ix.period_by_code(s, "2026Q3"), ix.root_region(s))}


def _slide_texts(slide) -> list[str]:  # noqa: ANN001
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return out


def test_deck_slides_figures_native_charts_and_fonts(briefing, sample_sqlite) -> None:  # noqa: ANN001
    data = pptx.build_deck(briefing)
    deck = Presentation(io.BytesIO(data))
    slides = list(deck.slides)
    assert len(slides) == len(SLIDES)
    titles = [briefing.titles[k] for k in SLIDES]
    for slide, title, n in zip(slides, titles, range(1, len(SLIDES) + 1)):
        texts = _slide_texts(slide)
        assert any(title in x for x in texts), title
        assert f"{n} / {len(SLIDES)}" in texts
    expected = _expected(sample_sqlite)
    overview = _slide_texts(slides[1])
    assert f"{expected['smd_managed'].value * 100:.1f}%" in overview
    assert f"{expected['awareness_urban'].value * 100:.1f}%" in overview
    # Native, editable charts (not pictures) with the real values behind them.
    charts = [sh.chart for s in slides for sh in s.shapes if sh.has_chart]
    assert len(charts) >= 2
    rates = dict(zip(charts[0].plots[0].categories, charts[0].plots[0].series[0].values))
    assert rates["严重精神障碍患者规范管理率"] == pytest.approx(round(expected["smd_managed"].value * 100, 1))
    # The behind chart leaves the park's suppressed value out and marks the category.
    behind = charts[1].plots[0]
    assert all("和安经济开发区" not in c or v is not None or "*" in c
               for c, v in zip(behind.categories, behind.series[0].values))
    # Chinese typeface named for the East Asian slot on runs and in the charts.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        slide_xml = z.read("ppt/slides/slide2.xml").decode()
        chart_xml = z.read(next(n for n in z.namelist() if n.startswith("ppt/charts/chart"))).decode()
    assert '<a:ea typeface="微软雅黑"/>' in slide_xml and '<a:ea typeface="微软雅黑"/>' in chart_xml
    assert STEPS[0] in "\n".join(_slide_texts(slides[SLIDES.index("next_steps")]))


def test_deck_never_shows_a_suppressed_figure(briefing, sample_sqlite) -> None:  # noqa: ANN001
    deck = Presentation(io.BytesIO(pptx.build_deck(briefing)))
    text = "\n".join(t for s in deck.slides for t in _slide_texts(s))
    assert briefing.footnote in text
    # The outcomes slide's township table: the park's petitions (a count under 5) and its mediation
    # rate show as "*", and one other township is hidden as well (secondary).
    table = next(sh.table for sh in list(deck.slides)[5].shapes if sh.has_table and len(sh.table.rows) > 10)
    rows = [[c.text for c in r.cells] for r in table.rows]
    head = rows[0]
    park = next(r for r in rows if r[0] == "和安经济开发区")
    assert park[head.index("信访件数")] == "*" and park[head.index("矛盾纠纷调解成功率")] == "*"
    assert sum(r[head.index("信访件数")] == "*" for r in rows) == 2
    assert "<5" not in text
    for chart in (sh.chart for s in deck.slides for sh in s.shapes if sh.has_chart):
        for cat, value in zip(chart.plots[0].categories, chart.plots[0].series[0].values):
            if cat.startswith("和安经济开发区") and "*" in cat:
                assert value is None


_PDF: dict[str, bytes] = {}


def _pdf(b) -> bytes:  # noqa: ANN001
    """One PDF build per run for the two PDF tests (fonts make it the slowest export)."""
    if "zh" not in _PDF:
        _PDF["zh"] = pdf.build_pdf(b)
    return _PDF["zh"]


def _pdf_text(data: bytes, tmp_path) -> str:  # noqa: ANN001
    path = tmp_path / "b.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing: make system-deps")
def test_pdf_text_fonts_and_pages(briefing, sample_sqlite, tmp_path, artifacts) -> None:  # noqa: ANN001
    data = _pdf(briefing)
    text = _pdf_text(data, tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == len(SLIDES)
    for key, page in zip(SLIDES, pages):
        assert briefing.titles[key] in page, key
    expected = _expected(sample_sqlite)
    assert f"{expected['smd_managed'].value * 100:.1f}%" in pages[1]
    assert "县总工会" in pages[4] and "县信访局" in pages[4]
    assert f"{expected['people_served'].value:,.0f} 人次" in pages[5]
    steps = pages[SLIDES.index("next_steps")]
    assert STEPS[0] in steps.replace(" ", "").replace("\n", "") or "加快北山乡" in steps
    fonts = subprocess.run(["pdffonts", str(tmp_path / "b.pdf")], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts and all(" yes yes " in line for line in fonts.splitlines()[2:])
    (artifacts / "briefing.pdf").write_bytes(data)


def test_pdf_suppression_held(briefing, tmp_path) -> None:  # noqa: ANN001
    text = _pdf_text(_pdf(briefing), tmp_path)
    page = text.split("\f")[5]
    park = next(line for line in page.splitlines() if "和安经济开发区" in line).split()
    # township, people served, mediation rate, petitions, records
    assert park[3] == "*" and park[4] == "*"
    assert "<5" not in text


def test_excel_tables_safe_and_suppressed(briefing, sample_sqlite) -> None:  # noqa: ANN001
    briefing.township_rows[0] = {**briefing.township_rows[0], "region": "=cmd|' /C calc'!A0"}
    data = excel.build_workbook(briefing)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["说明", "目标指标", "工作成效", "乡镇明细", "报送情况", "下一步工作"]
    targets = {r[0]: r for r in wb["目标指标"].iter_rows(min_row=2, values_only=True)}
    expected = _expected(sample_sqlite)
    assert targets["smd_managed"][2] == pytest.approx(expected["smd_managed"].value)
    assert targets["smd_managed"][4] == expected["smd_managed"].numerator
    rows = list(wb["乡镇明细"].iter_rows(min_row=2, values_only=True))
    park = {r[0]: r for r in rows if r[3] == "和安经济开发区"}
    assert park["rehab_participation"][5] == "*" and park["rehab_participation"][6] is None
    assert park["petitions"][7] == "*" and park["petitions"][6] is None
    # The complement case: "*" beside a denominator of 5 read 5 / 5. Both counts go.
    assert park["smd_managed"][4:8] == ("*", "*", None, "*")
    assert not any(isinstance(v, str) and v.startswith("<") for r in rows for v in r)
    # Formula injection: stored as text with Excel's quote prefix, never as a formula.
    steps = wb["下一步工作"]
    assert steps["B3"].value == STEPS[1] and steps["B3"].data_type == "s" and steps["B3"].quotePrefix
    assert wb["乡镇明细"]["D2"].data_type == "s" and wb["乡镇明细"]["D2"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_county_briefing_export_takes_under_ten_seconds(sample_sqlite) -> None:  # noqa: ANN001
    # CPU time of this process is what the export costs; wall time is printed too, but asserting on
    # it would fail whenever other test runs share the machine's two cores.
    start, cpu = time.perf_counter(), time.process_time()
    with session_scope(sample_sqlite) as s:
        b = content.assemble(s, "2026Q3", "zh", today=TODAY)
    outputs = [pptx.build_deck(b), pdf.build_pdf(b), excel.build_workbook(b)]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert all(outputs)
    print(f"\ncounty briefing (content + pptx + pdf + xlsx): {elapsed:.2f} s wall, {cpu:.2f} s CPU")
    assert cpu < 10


def test_english_deck(sample_sqlite) -> None:  # noqa: ANN001
    with session_scope(sample_sqlite) as s:
        b = content.assemble(s, "2026Q3", "en", today=TODAY)
    deck = Presentation(io.BytesIO(pptx.build_deck(b)))
    assert any("All target indicators" in x for x in _slide_texts(list(deck.slides)[1]))


def test_deck_overview_change_column_and_footnote_only_where_hidden(briefing, tmp_path) -> None:  # noqa: ANN001
    deck = Presentation(io.BytesIO(pptx.build_deck(briefing)))
    slides = list(deck.slides)
    table = next(sh.table for sh in slides[1].shapes if sh.has_table)
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][:5] == ["指标", "本期值", "目标", "状态", "较上季度"]    # as on the page and in the PDF
    assert rows[0][5:] == (["批注"] if any(f.comments for f in briefing.targets) else [])  # the sample's comments
    by_name = {r[0]: r for r in rows[1:]}
    smd = next(f for f in briefing.targets if f.code == "smd_managed")
    assert by_name[smd.name][4] == smd.change_text and smd.change_text.endswith(" 个百分点")
    hotline = next(f for f in briefing.targets if f.kind == "yesno")
    assert by_name[hotline.name][4] == "—"                               # yes/no: no "+0"
    # The footnote explains a "*": on the outcomes slide (the park's petitions), not on the behind
    # slide, where nothing of 2026Q3 is hidden.
    texts = ["\n".join(_slide_texts(s)) for s in slides]
    assert not briefing.needs_footnote("behind") and "*" not in texts[2].replace(briefing.footnote, "")
    assert [briefing.footnote in x for x in texts] == [k == "outcomes" for k in SLIDES]
    pdf_pages = _pdf_text(_pdf(briefing), tmp_path).split("\f")
    first_words = "小数抑制"
    assert [first_words in p.replace(" ", "") for p in pdf_pages[:len(SLIDES)]] == [k == "outcomes" for k in SLIDES]


def test_behind_chart_has_a_target_line_and_a_fitted_axis(briefing) -> None:  # noqa: ANN001
    deck = Presentation(io.BytesIO(pptx.build_deck(briefing)))
    chart = next(sh.chart for sh in list(deck.slides)[2].shapes if sh.has_chart)
    item = briefing.behind_chart()
    assert item is not None
    bars, line = chart.plots[0], chart.plots[1]
    assert type(line).__name__ == "LinePlot"
    target = round(item.figure.target * 100, 1)
    assert set(line.series[0].values) == {target}                       # the target, across every township
    values = [v for v in bars.series[0].values if v is not None]
    axis = chart.value_axis
    # Fitted: 55 % to 62 % bars no longer sit on a 0–110 % axis, and nothing is cut off.
    assert 0 < axis.minimum_scale <= min(values + [target]) and max(values + [target]) <= axis.maximum_scale <= 100
    assert axis.visible


@pytest.mark.parametrize("values, target, expected", [
    ([55.4, 56.3, 62.3], 60.0, (50.0, 65.0)), ([None], None, (0.0, 100.0)), ([0.0, 3.0], 5.0, (0.0, 10.0)),
    ([96.0, 100.0], 100.0, (90.0, 100.0)),
])
def test_axis_range(values, target, expected) -> None:  # noqa: ANN001
    assert pptx.axis_range(values, target) == expected


def test_excel_columns_have_distinct_titles(briefing) -> None:  # noqa: ANN001
    wb = load_workbook(io.BytesIO(excel.build_workbook(briefing)))
    for ws in wb.worksheets[1:]:
        head = [c.value for c in ws[1]]
        assert len(head) == len(set(head)), (ws.title, head)
    assert [c.value for c in wb["乡镇明细"][1]][:4] == ["指标代码", "指标", "乡镇代码", "乡镇（街道）"]
