"""An administrator's bulk import of the service-point registry in Chromium, in Chinese: download
the current list, upload it with mistakes (every problem listed, nothing written), upload the
corrected sheet, read the preview, confirm; the same file checked again then changes nothing."""
from __future__ import annotations

import io

import openpyxl
import pytest

from browser_auth import sign_in
from helpers import settle, upload

pytestmark = pytest.mark.browser


def _edited(template: bytes, bad: bool) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb.worksheets[1]
    header = [c.value for c in ws[2]]
    col = {label: header.index(label) + 1 for label in header if label}
    first = ws.max_row
    ws.cell(3, col["专职人员（人）"]).value = 6
    town = ws.cell(3, col["所属乡镇（街道）"]).value
    new = {"阵地名称": "浏览器测试网格点", "阵地类型": "网格服务点", "所属乡镇（街道）": town.replace("镇", "鎮"),
           "启用日期": "2025/9/1", "状态": "在用", "专职人员（人）": "１", "兼职人员（人）": 2,
           # beside the first point, so it is inside the township (the map's data-problem count stays)
           "经度": ws.cell(3, col["经度"]).value + 0.0005, "纬度": ws.cell(3, col["纬度"]).value}
    for label, value in new.items():
        ws.cell(first + 1, col[label]).value = value
    if bad:
        ws.cell(first + 1, col["启用日期"]).value = "去年"
        ws.cell(first + 2, col["阵地名称"]).value = "无类型的点"
        ws.cell(first + 2, col["所属乡镇（街道）"]).value = "火星乡"
        ws.cell(first + 2, col["启用日期"]).value = "2025-01-01"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_admin_imports_the_registry_from_excel(server, page, artifacts, tmp_path) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 1440, "height": 2000})
    sign_in(page, server, "admin")
    page.locator('[data-testid="stSidebarNavLink"]', has_text="批量导入").first.click()
    page.get_by_text("① 下载当前台账（即导入模板）").wait_for(timeout=30_000)
    settle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（含现有数据）").click()
    template = open(info.value.path(), "rb").read()
    assert info.value.suggested_filename.startswith("服务阵地台账-")
    bad, good = tmp_path / "台账-有误.xlsx", tmp_path / "台账.xlsx"
    bad.write_bytes(_edited(template, bad=True))
    good.write_bytes(_edited(template, bad=False))

    upload(page, bad, page.get_by_text("必须改正的错误"))
    assert page.get_by_text("文件未被接收，未做任何更改").is_visible()
    for message in ("“启用日期”不是有效日期", "请选择阵地类型", "“火星乡”不在本县"):
        assert page.get_by_text(message).first.is_visible(), message
    assert page.get_by_role("button", name="确认导入").count() == 0
    page.screenshot(path=str(artifacts / "import-problems.png"), full_page=True)

    upload(page, good, page.get_by_role("button", name="确认导入"))
    assert page.get_by_text("新增 1 条，修改 1 条").is_visible()
    page.screenshot(path=str(artifacts / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入：新增 1 条，修改 1 条").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_role("button", name="确认导入").count() == 0  # the uploader starts empty again
    page.screenshot(path=str(artifacts / "import-accepted.png"), full_page=True)
    # Written: the list downloaded now has the new point, with the code it was given.
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（含现有数据）").click()
    ws = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).worksheets[1]
    rows = {r[1]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["浏览器测试网格点"][0].startswith("SP") and rows["浏览器测试网格点"][11] == 1
