"""The catalogue in Chromium: an administrator adds a service-point type and three indicators on
指标与目标 -- a registry rule on the new type, a reported count, and a per-unit minimum over that
count -- then the union's liaison downloads the next template (it has the new column), fills and
uploads it, and a leader finds the new indicators with their figures on the overview, the detail
page, the map's colourings and in the meeting briefing (PDF)."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import openpyxl
import pytest

from browser_auth import sign_in
from browser_catalogue import create_indicator
from helpers import open_path, settle, upload

pytestmark = pytest.mark.browser

TYPE_NAME = "机关干部心理驿站"
RULE_NAME = "有机关干部心理驿站的乡镇占比"
COUNT_NAME = "家庭教育指导师人数"
MINIMUM_NAME = "有家庭教育指导师的乡镇占比"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):  # noqa: ANN001, ANN201
    """A server on a sample county of its own: this module changes the catalogue."""
    from browser_server import running_app

    folder = tmp_path_factory.mktemp("catalogue-server")
    with running_app(folder) as url:
        yield url, folder / "app.sqlite"


def _visit(page, url: str, path: str, user: str) -> None:  # noqa: ANN001
    """Open a URL as `user`: every new page load is a new session, which shows the sign-in form first
    (the browser then stays on the page asked for)."""
    open_path(page, url, path)
    if page.query_selector('[data-testid="stTextInput"] input[type="password"]') is not None:
        page.locator('[data-testid="stTextInput"] input').first.fill(user)
        page.locator('[data-testid="stTextInput"] input[type="password"]').fill("demo2026")
        page.locator('[data-testid="stFormSubmitButton"] button').click()
        page.wait_for_selector('[data-testid="stTextInput"] input[type="password"]', state="detached",
                               timeout=30_000)
        settle(page, quiet=1.5)


def _add_point(db_file) -> None:  # noqa: ANN001
    """A point of the new type in the first township (the registry form is tested on its own page)."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access import registry
    from data_access.access import Actor
    from data_access.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{db_file}")
    with session_scope(engine) as s:
        code = s.scalar(select(m.PointType.code).where(m.PointType.name_zh == TYPE_NAME))
        town = s.scalar(select(m.Region.code).where(m.Region.level == "township").order_by(m.Region.code))
        registry.add_point(s, Actor(None, "admin", "admin"), dict(
            type=code, name_zh="县直机关干部心理驿站", name_en="Office care point", township=town, status="active",
            opened_on=dt.date(2026, 3, 1), staff_full=1, staff_part=0), today=dt.date(2026, 11, 23))
    engine.dispose()


def _filled(template: bytes) -> tuple[bytes, list[str]]:
    """Every figure column filled; the new count is 2 per township, 0 in the first one."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    headers = [str(ws.cell(2, c).value or "") for c in range(1, ws.max_column + 1)]
    for r in range(4, ws.max_row + 1):
        for c in range(3, ws.max_column + 1):
            ws.cell(r, c).value = 2 if headers[c - 1].startswith(COUNT_NAME) else 5
        if r == 4:
            ws.cell(r, next(c for c, h in enumerate(headers, start=1) if h.startswith(COUNT_NAME))).value = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), headers


def test_admin_adds_indicators_that_reach_the_template_pages_and_briefing(own_server, browser, artifacts,
                                                                           tmp_path) -> None:  # noqa: ANN001
    url, db_file = own_server
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "admin", path="admin_indicators")
    page.get_by_role("tab", name="阵地类型").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    form = panel.locator('[data-testid="stForm"]')
    form.get_by_label("代码（英文小写，如 family_instructors）").fill("office_care")
    form.get_by_label("中文名称").fill(TYPE_NAME)
    form.get_by_label("英文名称").fill("Office care point")
    form.get_by_label("导入时可识别的其他名称（用逗号或顿号分隔）").fill("干部驿站、机关驿站")
    form.get_by_role("button", name="保存").click()
    page.get_by_text("阵地类型已保存。").wait_for(timeout=30_000)
    settle(page, quiet=1.0)

    page.get_by_role("tab", name="新建指标").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    create_indicator(page, panel, "台账规则：有阵地的单位占比", "office_care_towns", RULE_NAME,
            **{"统计单位": "乡镇（街道）", "计入的阵地类型": TYPE_NAME})
    page.get_by_role("tab", name="新建指标").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    create_indicator(page, panel, "数量", "family_instructors", COUNT_NAME, unit="人", **{"牵头部门": "县总工会"})
    page.get_by_role("tab", name="新建指标").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    create_indicator(page, panel, "每单位最低要求（达标单位数）", "town_instructor", MINIMUM_NAME,
            **{"依据的报送指标": COUNT_NAME})
    # The page moves on to the new indicator's tab, ready for its target.
    assert page.get_by_role("tab", name="指标", exact=True).get_attribute("aria-selected") == "true"
    assert page.get_by_text(f"计算方法：“{COUNT_NAME}”至少为 1 的乡镇（街道）所占比例").is_visible()
    page.screenshot(path=str(artifacts / "catalogue-admin.png"), full_page=True)
    assert page.query_selector('[data-testid="stException"]') is None
    context.close()
    _add_point(db_file)

    # The union's liaison: the next template has the new column; the filled sheet is accepted.
    context = browser.new_context(viewport={"width": 1440, "height": 2000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "liaison_union", path="upload")
    page.get_by_text("① 选择部门和季度，下载模板").wait_for(timeout=30_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    sheet, headers = _filled(open(info.value.path(), "rb").read())
    assert any(h.startswith(COUNT_NAME) for h in headers), headers
    path = tmp_path / "工会.xlsx"
    path.write_bytes(sheet)
    upload(page, path, page.get_by_role("button", name="确认提交"))
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text("已接收").first.wait_for(timeout=30_000)
    context.close()

    # A leader: the detail page of each new indicator shows its county figure.
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    expected = {"office_care_towns": (RULE_NAME, "7.7%"),            # 1 of 13 townships has the new point
                "family_instructors": (COUNT_NAME, "24 人"),         # 12 townships x 2
                "town_instructor": (MINIMUM_NAME, "92.3%")}          # 12 of 13 townships have one
    for code, (title, figure) in expected.items():
        _visit(page, url, f"indicator?indicator={code}&period=2026Q3", "leader")
        page.get_by_text(f"{title} · 2026年第3季度").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stMetricValue"]').first.inner_text().strip() == figure, code
        assert page.query_selector('[data-testid="stException"]') is None
        page.screenshot(path=str(artifacts / f"catalogue-{code}.png"), full_page=True)
    # The map offers the new ratios as colourings.
    _visit(page, url, "map?period=2026Q3", "leader")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="着色指标").first.locator("input").click()
    page.keyboard.type(RULE_NAME)
    page.get_by_role("option").filter(has_text=RULE_NAME).first.wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    # ... and, being a share rule, a column of the coverage summary and a gap list of its own: the 12
    # townships without the new point.
    page.get_by_text(f"{RULE_NAME}：尚未覆盖的乡镇（街道） 12 个").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "catalogue-map.png"), full_page=True)
    context.close()

    # On a phone the overview lists every target indicator by name (the desktop table is a canvas).
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    _visit(page, url, "?period=2026Q3", "leader")
    for title, _ in expected.values():
        page.get_by_text(title).first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "catalogue-overview-phone.png"), full_page=True)
    context.close()

    # The meeting briefing carries them too.
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "display", path="meeting?period=2026Q3")
    page.get_by_text("汇报材料下载").click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载 PDF").click()
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(open(download.value.path(), "rb").read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title, _ in expected.values():
        assert title in text.replace(" ", ""), title
    context.close()
