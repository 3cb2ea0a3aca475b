"""A liaison's whole quarterly job in Chromium, in Chinese: sign in, download the template, upload a
file with a mistake (every problem listed), upload the corrected file, check the preview, confirm."""
from __future__ import annotations

import io

import openpyxl
import pytest

from browser_auth import sign_in
from helpers import settle, upload

pytestmark = pytest.mark.browser


def _filled(template: bytes, bad: bool) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    for r in range(4, ws.max_row + 1):
        ws.cell(r, 3).value = 15
        ws.cell(r, 4).value = 2
    if bad:
        ws["C5"] = "十五"
        ws["D6"] = -1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_liaison_uploads_the_quarterly_sheet(server, page, artifacts, tmp_path) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 1440, "height": 2200})  # the whole flow in each screenshot
    sign_in(page, server, "liaison_union")
    page.locator('[data-testid="stSidebarNavLink"]', has_text="上传报表").first.click()
    settle(page, quiet=1.5)
    page.get_by_text("① 选择部门和季度，下载模板").wait_for(timeout=30_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    template = open(info.value.path(), "rb").read()
    assert info.value.suggested_filename == "2026Q3-union-报送模板.xlsx"
    bad, good = tmp_path / "工会-有误.xlsx", tmp_path / "工会.xlsx"
    bad.write_bytes(_filled(template, bad=True))
    good.write_bytes(_filled(template, bad=False))

    upload(page, bad, page.get_by_text("必须改正的错误"))
    assert page.get_by_text("文件未被接收，未做任何更改").is_visible()
    assert page.get_by_role("button", name="确认提交").count() == 0
    page.screenshot(path=str(artifacts / "upload-problems.png"), full_page=True)

    upload(page, good, page.get_by_role("button", name="确认提交"))
    assert page.get_by_text("新增 26 项").is_visible()
    page.screenshot(path=str(artifacts / "upload-preview.png"), full_page=True)
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text("已接收").first.wait_for(timeout=30_000)
    settle(page, quiet=1.5)
    page.screenshot(path=str(artifacts / "upload-accepted.png"), full_page=True)
    assert page.query_selector('[data-testid="stException"]') is None
    assert page.external_requests == []

    page.locator('[data-testid="stSidebarNavLink"]', has_text="报送记录").first.click()
    settle(page, quiet=1.5)
    # The versions table is a canvas grid; the original-file download proves the version is listed.
    page.get_by_role("button", name="下载原始文件").wait_for(timeout=30_000)
    with page.expect_download() as original:
        page.get_by_role("button", name="下载原始文件").click()
    assert original.value.suggested_filename == "工会.xlsx"
    assert open(original.value.path(), "rb").read() == good.read_bytes()
    page.screenshot(path=str(artifacts / "upload-history.png"), full_page=True)
