"""A per-unit minimum over schools in Chromium: an administrator adds a figure reported per school
and "schools with a certified counsellor" on 指标与目标; the education bureau's liaison downloads
the school sheet (it has the new column), fills and uploads it; a leader reads "n of N schools
meet it" on the indicator page."""
from __future__ import annotations

import io

import openpyxl
import pytest

from browser_auth import sign_in
from browser_catalogue import create_indicator
from helpers import settle, upload

pytestmark = pytest.mark.browser

COUNT_NAME = "学校持证心理咨询师人数"
MINIMUM_NAME = "有持证心理咨询师的学校占比"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):  # noqa: ANN001, ANN201
    """A server on a sample county of its own: this module changes the catalogue."""
    from browser_server import running_app

    folder = tmp_path_factory.mktemp("school-minimum-server")
    with running_app(folder) as url:
        yield url, folder / "app.sqlite"


def _filled(template: bytes) -> tuple[bytes, int]:
    """Every school answered; the first three have no certified counsellor, the others one."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    headers = [str(ws.cell(2, c).value or "") for c in range(1, ws.max_column + 1)]
    column = next(c for c, h in enumerate(headers, start=1) if h.startswith(COUNT_NAME))
    schools = 0
    for r in range(4, ws.max_row + 1):
        if not ws.cell(r, 1).value:
            continue
        schools += 1
        for c in range(4, ws.max_column + 1):
            ws.cell(r, c).value = "是" if "是否" in headers[c - 1] else 1
        ws.cell(r, column).value = 0 if schools <= 3 else 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), schools


def test_admin_adds_a_minimum_over_schools_that_the_school_sheet_feeds(own_server, browser, artifacts,
                                                                       tmp_path) -> None:  # noqa: ANN001
    url, _ = own_server
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "admin", path="admin_indicators")
    page.get_by_role("tab", name="新建指标").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    create_indicator(page, panel, "数量", "school_counsellors", COUNT_NAME,
            **{"牵头部门": "县教育局", "报送层级": "每所学校（按机构报送）"})
    page.get_by_role("tab", name="新建指标").click()
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    create_indicator(page, panel, "每单位最低要求（达标单位数）", "schools_with_counsellor", MINIMUM_NAME,
            **{"统计单位": "学校/医院等机构", "依据的报送指标": COUNT_NAME})
    assert page.get_by_text(f"计算方法：“{COUNT_NAME}”至少为 1 的小学、中学、幼儿园所占比例").is_visible()
    page.screenshot(path=str(artifacts / "school-minimum-admin.png"), full_page=True)
    assert page.query_selector('[data-testid="stException"]') is None
    context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 2000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "liaison_education", path="upload")
    page.get_by_text("① 选择部门和季度，下载模板").wait_for(timeout=30_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    sheet, schools = _filled(open(info.value.path(), "rb").read())
    assert schools > 3
    path = tmp_path / "教育局.xlsx"
    path.write_bytes(sheet)
    upload(page, path, page.get_by_role("button", name="确认提交"))
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text("数据已更新").first.wait_for(timeout=30_000)  # not the "当前已接收" of the sample's version
    page.screenshot(path=str(artifacts / "school-minimum-upload.png"), full_page=True)
    context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "leader", path="indicator?indicator=schools_with_counsellor&period=2026Q3")
    page.get_by_text(f"{MINIMUM_NAME} · 2026年第3季度").wait_for(timeout=30_000)
    settle(page, quiet=1.0)
    page.screenshot(path=str(artifacts / "school-minimum-indicator.png"), full_page=True)
    page.get_by_text(f"{schools} 所学校中 {schools - 3} 所达标").first.wait_for(timeout=30_000)
    shown = page.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    assert shown == f"{(schools - 3) / schools * 100:.1f}%"
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / "school-minimum-indicator.png"), full_page=True)
    context.close()
