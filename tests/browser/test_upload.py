"""A liaison's whole quarterly job in Chromium, in Chinese: sign in, download the template, upload a
file with a mistake (every problem listed), upload the corrected file, check the preview, confirm."""
from __future__ import annotations

import io

import openpyxl
import pytest

from browser_auth import sign_in, submit_sign_in
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
    # The default download is the values-only copy (no macros or formulas of the sender's Excel).
    with page.expect_download() as copy:
        page.get_by_role("button", name="下载数据副本").click()
    assert copy.value.suggested_filename == "工会（数据副本）.xlsx"
    assert open(copy.value.path(), "rb").read(2) == b"PK"
    page.screenshot(path=str(artifacts / "upload-history.png"), full_page=True)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):  # noqa: ANN001, ANN201
    """A server on a sample county of its own: this module's uploads change the health figures."""
    from browser_server import running_app

    folder = tmp_path_factory.mktemp("upload-server")
    with running_app(folder) as url:
        yield url, folder / "app.sqlite"


def _health_figures(db_file) -> dict:  # noqa: ANN001
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{db_file}")
    with session_scope(engine) as s:
        rows = s.execute(select(m.Region.code, m.Indicator.code, m.Observation.numerator, m.Observation.denominator)
                         .join(m.Region, m.Region.id == m.Observation.region_id)
                         .join(m.Indicator, m.Indicator.id == m.Observation.indicator_id)
                         .join(m.Period, m.Period.id == m.Observation.period_id)
                         .join(m.Department, m.Department.id == m.Indicator.owner_department_id)
                         .where(m.Period.code == "2026Q3", m.Department.code == "health")).all()
    engine.dispose()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _correction(template: bytes, rows: dict[str, tuple]) -> bytes:
    """The template with only the corrected rows kept (a correction of two townships)."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    for r in range(ws.max_row, 3, -1):
        code = ws.cell(r, 1).value
        if code in rows:
            for k, v in enumerate(rows[code]):
                ws.cell(r, 3 + k).value = v
        else:
            ws.delete_rows(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _open_upload(browser, url: str, width: int, height: int):  # noqa: ANN001, ANN202
    """The upload page signed in as the health liaison, at a desktop or a phone width."""
    phone = width < 600
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/upload")
    settle(page, quiet=1.5)
    if phone:  # the sidebar opens over the sign-in form on a phone: close it as a person would
        closer = page.locator('[data-testid="stSidebarCollapseButton"] button')
        if closer.count() and closer.first.is_visible():
            closer.first.click(force=True)
    submit_sign_in(page, "liaison_health", "demo2026")
    page.get_by_text("① 选择部门和季度，下载模板").wait_for(timeout=30_000)
    return context, page


def test_partial_file_says_what_it_would_delete_and_deletes_only_on_its_own_choice(
        own_server, browser, artifacts, tmp_path) -> None:  # noqa: ANN001
    url, db_file = own_server
    before = _health_figures(db_file)
    assert len(before) == 39  # the sample county's accepted 2026Q3 health sheet
    context, page = _open_upload(browser, url, 1440, 2000)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    template = open(info.value.path(), "rb").read()
    first = {"990101002": (1, 2, 3, 4, 5, 6), "990101005": (7, 8, 9, 10, 11, 12)}
    path = tmp_path / "卫健委-更正两行.xlsx"
    path.write_bytes(_correction(template, first))

    upload(page, path, page.get_by_role("button", name="确认提交（只更新文件中的行）"))
    # At the top of the check: how many existing figures the file does not give, and that they stay.
    notice = page.get_by_text("本季度现有的 33 项数字在这个文件中没有")
    assert notice.is_visible()
    assert page.get_by_text("新增 0 项，修改 6 项，不变 0 项；本季度现有数字中文件没有的 33 项。").is_visible()
    delete_button = page.get_by_role("button", name="提交并删除 33 项现有数字")
    assert delete_button.is_disabled()   # deleting is its own choice, behind its own confirmation
    page.screenshot(path=str(artifacts / "upload-partial-1440.png"))
    phone_context, phone = _open_upload(browser, url, 390, 3000)
    upload(phone, path, phone.get_by_role("button", name="确认提交（只更新文件中的行）"))
    assert phone.get_by_text("本季度现有的 33 项数字在这个文件中没有").is_visible()
    phone.screenshot(path=str(artifacts / "upload-partial-390.png"))
    phone_context.close()

    page.get_by_role("button", name="确认提交（只更新文件中的行）").click()
    page.get_by_text("文件中没有的 33 项现有数字已保留").wait_for(timeout=30_000)
    after = _health_figures(db_file)
    expected = dict(before)
    for code, v in first.items():
        for k, ind in enumerate(("smd_managed", "rehab_participation", "mh_records")):
            expected[(code, ind)] = (float(v[2 * k]), float(v[2 * k + 1]))
    assert after == expected   # two townships corrected, the other 33 figures untouched

    # The same kind of file, now replacing the quarter: only after ticking the confirmation.
    second = {"990101003": (3, 4, 5, 6, 7, 8)}
    path2 = tmp_path / "卫健委-仅一行.xlsx"
    path2.write_bytes(_correction(template, second))
    upload(page, path2, page.get_by_role("button", name="提交并删除 36 项现有数字"))
    page.get_by_text("我确认删除这 36 项现有数字").click()
    settle(page, quiet=1.0)
    page.get_by_role("button", name="提交并删除 36 项现有数字").click()
    page.get_by_text("文件中没有的 36 项现有数字已删除").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "upload-partial-replaced.png"))
    assert _health_figures(db_file) == {("990101003", "smd_managed"): (3.0, 4.0),
                                        ("990101003", "rehab_participation"): (5.0, 6.0),
                                        ("990101003", "mh_records"): (7.0, 8.0)}
    assert page.query_selector('[data-testid="stException"]') is None
    context.close()
