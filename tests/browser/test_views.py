"""The leading-group views in Chromium: a shared link opens the indicator detail in English on the
same indicator and period, with both charts drawn, and the language switch keeps the view."""
from __future__ import annotations

import pytest

from browser_auth import sign_in

pytestmark = pytest.mark.browser


def test_indicator_detail_link_in_english(server, page, artifacts) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 1440, "height": 2200})
    sign_in(page, server, "leader", path="indicator?indicator=special_counselling&period=2026Q2&lang=en")
    assert page.query_selector('[data-testid="stException"]') is None
    assert page.get_by_text("Special populations given individual counselling · 2026 Q2").first.is_visible()
    assert len(page.query_selector_all('[data-testid="stVegaLiteChart"]')) == 2
    page.screenshot(path=str(artifacts / "views-indicator-en.png"), full_page=True)
    # switch to Chinese: same indicator and period
    switch = page.get_by_role("button", name="中文")
    if switch.count():
        switch.first.click()
        page.get_by_text("特殊人群个性化心理疏导率 · 2026年第2季度").first.wait_for(timeout=30_000)
    assert page.external_requests == []
    # Streamlit's client first probes <page>/_stcore/health under a page's own URL path (404), then the
    # root: that probe is not an error of the page.
    assert [e for e in page.console_errors if "status of 404" not in e] == []
