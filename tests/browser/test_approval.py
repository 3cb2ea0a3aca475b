"""Quarter sign-off in Chromium, as the two people involved: the administrator approves 2026Q3 ->
the health liaison (on a phone) uploads a sheet for it and is refused, told who approved it and when,
and nothing changes -> the administrator unlocks it with a reason -> the liaison's next upload goes in
-> the audit trail (its Excel download) shows each step. Screenshots at 1440 and 390."""
from __future__ import annotations

import io

import openpyxl
import pytest

from helpers import settle, upload

pytestmark = pytest.mark.browser
PERIOD = "2026Q3"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):  # noqa: ANN001, ANN201
    from browser_server import running_app

    folder = tmp_path_factory.mktemp("approval-server")
    with running_app(folder) as url:
        yield url, folder / "app.sqlite"


def _engine(db_file):  # noqa: ANN001, ANN202
    from data_access.db import make_engine

    return make_engine(f"sqlite:///{db_file}")


def _health_sheet(db_file, bump: int) -> bytes:  # noqa: ANN001
    from data_access.db import session_scope
    from data_access.ingest.spec import build_spec
    from data_access.ingest.templates import write_template

    engine = _engine(db_file)
    with session_scope(engine) as s:
        spec = build_spec(s, "health", PERIOD)
    engine.dispose()
    values = {e.code: {"smd_managed:num": 40 + i + bump, "smd_managed:den": 50 + i,
                       "rehab_participation:num": 20 + i, "rehab_participation:den": 40 + i,
                       "mh_records:num": 5000 + 10 * i, "mh_records:den": 10000 + 10 * i}
              for i, e in enumerate(spec.entities)}
    return write_template(spec, values=values)


def _health_figures(db_file) -> dict:  # noqa: ANN001
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import session_scope

    engine = _engine(db_file)
    with session_scope(engine) as s:
        rows = s.execute(select(m.Region.code, m.Indicator.code, m.Observation.numerator, m.Observation.denominator)
                         .join(m.Region, m.Region.id == m.Observation.region_id)
                         .join(m.Indicator, m.Indicator.id == m.Observation.indicator_id)
                         .join(m.Period, m.Period.id == m.Observation.period_id)
                         .where(m.Period.code == PERIOD, m.Indicator.code == "smd_managed")).all()
    engine.dispose()
    return {r[0]: (r[2], r[3]) for r in rows}


def _signed_in(browser, url: str, username: str, path: str, width: int, height: int):  # noqa: ANN001, ANN202
    phone = width < 600
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone,
                                  locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(f"{msg.text} {msg.location}"))
    page.goto(f"{url}/{path}")
    settle(page, quiet=1.5)
    if phone:  # the sidebar opens over the sign-in form on a phone: close it as a person would
        closer = page.locator('[data-testid="stSidebarCollapseButton"] button')
        if closer.count() and closer.first.is_visible():
            closer.first.click(force=True)
    page.locator('[data-testid="stTextInput"] input').first.fill(username)
    page.locator('input[type="password"]').fill("demo2026")
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.wait_for_selector('input[type="password"]', state="detached", timeout=30_000)
    settle(page, quiet=1.5)
    return context, page


def test_approve_refuse_unlock_upload_and_the_trail(own_server, browser, artifacts, tmp_path) -> None:  # noqa: ANN001
    url, db_file = own_server
    admin_ctx, admin = _signed_in(browser, url, "admin", f"approval?period={PERIOD}", 1440, 1400)
    admin.screenshot(path=str(artifacts / "approval-pending-1440.png"), full_page=True)
    admin.get_by_text("尚未审核").first.wait_for(timeout=30_000)
    admin.locator('[data-testid="stTextInput"] input').first.fill("数据已核对")
    admin.get_by_role("button", name="审核通过并锁定").click()
    admin.get_by_text("已审核通过并锁定").first.wait_for(timeout=30_000)
    settle(admin, quiet=1.5)
    assert admin.get_by_text("审核通过，数据已锁定").first.is_visible()
    admin.screenshot(path=str(artifacts / "approval-approved-1440.png"), full_page=True)

    before = _health_figures(db_file)
    liaison_ctx, liaison = _signed_in(browser, url, "liaison_health", "upload", 390, 844)
    liaison.get_by_text("本季度不能再上传").first.wait_for(timeout=30_000)  # said before anything is filled in
    sheet = tmp_path / "卫健委-2026Q3.xlsx"
    sheet.write_bytes(_health_sheet(db_file, bump=1))
    upload(liaison, sheet, liaison.get_by_text("不能再上传或修改").first)
    assert liaison.get_by_text("系统管理员（演示）").first.is_visible()  # who approved it
    assert liaison.get_by_role("button", name="确认提交").count() == 0
    liaison.screenshot(path=str(artifacts / "approval-upload-refused-390.png"), full_page=True)
    assert _health_figures(db_file) == before

    reason = "卫健委需更正规范管理人数"
    admin.locator('[data-testid="stTextArea"] textarea').fill(reason)
    admin.get_by_role("button", name="解锁", exact=True).click()
    admin.get_by_text("已解锁").first.wait_for(timeout=30_000)
    settle(admin, quiet=1.5)
    assert admin.get_by_text(f"理由：{reason}").first.is_visible()
    admin.screenshot(path=str(artifacts / "approval-unlocked-1440.png"), full_page=True)

    corrected = tmp_path / "卫健委-2026Q3-更正.xlsx"
    corrected.write_bytes(_health_sheet(db_file, bump=2))
    upload(liaison, corrected, liaison.get_by_role("button", name="确认提交"))
    liaison.get_by_role("button", name="确认提交").click()
    liaison.get_by_text("已接收").first.wait_for(timeout=30_000)
    settle(liaison, quiet=1.5)
    liaison.screenshot(path=str(artifacts / "approval-upload-accepted-390.png"), full_page=True)
    after = _health_figures(db_file)
    assert after != before and all(after[code][0] == 40 + i + 2 for i, code in enumerate(sorted(after)))

    admin.locator('[data-testid="stSidebarNavLink"]', has_text="操作日志").first.click()
    settle(admin, quiet=1.5)
    admin.screenshot(path=str(artifacts / "approval-audit-1440.png"), full_page=True)
    with admin.expect_download() as info:
        admin.get_by_role("button", name="下载 Excel").first.click()
    ws = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    header = [c.value for c in ws[1]]
    action_col, detail_col = header.index("操作"), header.index(next(h for h in header if "说明" in h or "详情" in h))
    trail = [(r[action_col], r[detail_col]) for r in ws.iter_rows(min_row=2, values_only=True)]
    steps = [a for a, _ in reversed(trail) if a in ("quarter.approve", "submission.reject", "quarter.unlock",
                                                    "submission.accept")]
    assert steps[-4:] == ["quarter.approve", "submission.reject", "quarter.unlock", "submission.accept"]
    assert (("quarter.unlock", reason) in trail)
    for p in (admin, liaison):
        assert p.query_selector('[data-testid="stException"]') is None
        # Opened at a page's own URL, Streamlit's front end also probes <page>/_stcore/... (404s of
        # its own, as on every deep link); anything else is an error of ours.
        assert [e for e in p.console_errors if "/_stcore/" not in e] == []
    admin_ctx.close()
    liaison_ctx.close()
