"""The overview's HTML tables (ui/html_table.py): every text escaped, statuses coloured with a word,
links and sparklines carrying what they show."""
from __future__ import annotations

import base64

import lxml.html
from lxml import etree
import pandas as pd

from ui import html_table
from ui.format import status_colours
from ui.html_table import Column


def _tree(markup: str):  # noqa: ANN202
    return lxml.html.fromstring(markup)


def test_cells_are_escaped_and_in_the_columns_order() -> None:
    frame = pd.DataFrame({"指标": ["<b>甲</b> & 乙"], "当前值": ["83.1%"], "状态": ["✔ 达标"], "extra": ["x"]})
    markup = html_table.table(frame, [Column("指标"), Column("当前值", "figure"), Column("状态", "status")], ["met"])
    assert "<b>甲</b>" not in markup and "&lt;b&gt;甲&lt;/b&gt; &amp; 乙" in markup
    tree = _tree(markup)
    assert [th.text_content() for th in tree.xpath("//th")] == ["指标", "当前值", "状态"]   # "extra" not shown
    cells = tree.xpath("//tbody/tr/td")
    assert [c.text_content() for c in cells] == ["<b>甲</b> & 乙", "83.1%", "✔ 达标"]
    fg, bg = status_colours("met")
    assert cells[2].get("data-status") == "met" and fg in cells[2].get("style") and bg in cells[2].get("style")


def test_links_and_header_help() -> None:
    frame = pd.DataFrame({"乡镇": ["城关镇", "河口乡"], "指标": ["覆盖率", "知晓率"]})
    links = [html_table.href("indicator", indicator="a&b", period="2026Q3", township="01", lang=""), None]
    markup = html_table.table(frame, [Column("乡镇", help='说明 "引号"'), Column("指标", "link", min_em=14)],
                              ["behind", "near"], links)
    tree = _tree(markup)
    assert tree.xpath("//th")[0].get("title") == '说明 "引号"' and tree.xpath("//th")[0].get("style") is None
    assert tree.xpath("//th")[1].get("style") == "min-width:14em"   # a narrow window scrolls the table
    anchors = tree.xpath("//a")
    assert len(anchors) == 1 and anchors[0].text_content() == "覆盖率"
    assert anchors[0].get("href") == "indicator?indicator=a%26b&period=2026Q3&township=01"   # empty lang left out
    assert tree.xpath("//tbody/tr")[1].xpath("./td")[1].text_content() == "知晓率"            # no link: text


def _line(values: list[float], label: str = ""):  # noqa: ANN202
    """The sparkline's image and the SVG inside its data URI."""
    img = _tree(html_table.sparkline(values, label))
    prefix = "data:image/svg+xml;base64,"
    assert img.tag == "img" and img.get("src").startswith(prefix)
    return img, etree.fromstring(base64.b64decode(img.get("src")[len(prefix):]))


def test_sparkline_scales_to_its_own_range_and_keeps_the_numbers() -> None:
    img, svg = _line([50.0, 75.0, 100.0], "50.0% → 75.0% → 100.0%")
    assert img.get("data-values") == "50,75,100"
    assert img.get("alt") == img.get("title") == "50.0% → 75.0% → 100.0%"   # as the caller wrote them
    ns = {"s": "http://www.w3.org/2000/svg"}
    points = [tuple(map(float, p.split(","))) for p in svg.xpath("//s:polyline", namespaces=ns)[0].get("points").split()]
    ys = [y for _, y in points]
    assert ys[0] > ys[1] > ys[2]                                     # higher value, higher on the line
    assert min(ys) >= 0 and max(ys) <= html_table.SPARK_HEIGHT
    _, flat_svg = _line([3.0, 3.0])
    flat = [tuple(map(float, p.split(","))) for p in
            flat_svg.xpath("//s:polyline", namespaces=ns)[0].get("points").split()]
    assert flat[0][1] == flat[1][1] == html_table.SPARK_HEIGHT / 2   # a flat line in the middle
    assert _line([7.0])[1].xpath("//s:circle", namespaces=ns)        # one quarter: a dot
    assert html_table.sparkline([]) == ""
