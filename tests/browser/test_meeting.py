"""Meeting mode in a real browser on the display account: full screen (no sidebar or Streamlit
chrome), next through every slide, nothing fetched from outside, a screenshot of each slide."""
from __future__ import annotations

import pytest

from browser_auth import submit_sign_in
from data_access.briefing.content import SLIDES
from helpers import open_path

pytestmark = pytest.mark.browser


def _sign_in(page, server: str, path: str, user: str = "display", wait: str = ".mt-slide") -> None:  # noqa: ANN001
    """Every URL shows the sign-in form first; after signing in the browser stays on the page."""
    open_path(page, server, path)
    password = page.query_selector('form.dash-signin input[type="password"]')
    if password is None:
        return
    submit_sign_in(page, user, "demo2026")
    page.wait_for_selector(wait, timeout=30_000)


def _wait_for_slide(page, n: int) -> None:  # noqa: ANN001
    page.wait_for_function(f"() => [...document.querySelectorAll('.mt-num')].some(e => e.textContent.trim() === '{n} / {len(SLIDES)}')",
                           timeout=30_000)


def test_display_runs_the_meeting(server, page, artifacts) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 1600, "height": 900})
    bad = []
    page.on("response", lambda r: r.status >= 400 and bad.append(r.url))
    _sign_in(page, server, "meeting?period=2026Q3")
    _wait_for_slide(page, 1)
    assert page.get_by_text("社会心理服务体系建设工作汇报").first.is_visible()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    page.screenshot(path=str(artifacts / "meeting-1.png"))
    # The handout from the cover slide: built on click, a real PDF.
    page.get_by_text("汇报材料下载").click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    for n in range(2, len(SLIDES) + 1):
        page.get_by_role("button", name="下一页").click()
        _wait_for_slide(page, n)
        page.wait_for_timeout(400)
        assert page.query_selector('[data-testid="stException"]') is None
        page.screenshot(path=str(artifacts / f"meeting-{n}.png"))
    assert page.get_by_role("button", name="下一页").is_disabled()
    assert page.external_requests == []
    # Streamlit probes <page>/_stcore/health before it knows the base path (404, then it retries at
    # the root); the smoke test sees the same on every non-default page. Anything else is ours.
    assert [u for u in bad if "/_stcore/" not in u] == []
    assert [e for e in page.console_errors if "404" not in e] == []


def test_one_click_from_the_overview(server, page, artifacts) -> None:  # noqa: ANN001
    _sign_in(page, server, "?period=2026Q3", user="leader", wait='[data-testid="stMetric"]')
    link = page.locator('[data-testid="stMain"]').get_by_role("link", name="会议模式")
    link.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "meeting-from-overview.png"))
    link.click()
    _wait_for_slide(page, 1)
    assert page.get_by_text("2026年第3季度").first.is_visible()
