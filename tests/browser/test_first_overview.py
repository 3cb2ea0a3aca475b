"""The sign-in page gets the signed-in pages' element code to the browser while the person types
(ui/preload.py): the table grid and metric code are fetched on the sign-in page, and nothing of it
is visible or takes space (bench/bench_browser.py measures the first pages after signing in)."""
from __future__ import annotations

import pytest

from helpers import open_path

pytestmark = pytest.mark.browser

CODE = ("performance.getEntriesByType('resource').map(e => e.name.split('/').pop())"
        ".filter(n => /^(DataFrame|Metric)\\./.test(n))")


@pytest.mark.parametrize("viewport", [dict(width=1440, height=900), dict(width=390, height=844)])
def test_sign_in_page_fetches_the_overview_element_code_unseen(server, browser, viewport) -> None:  # noqa: ANN001
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=viewport["width"] < 640)
    page = context.new_page()
    try:
        open_path(page, server)
        assert page.locator('input[type="password"]').is_visible()
        fetched = page.evaluate(CODE)
        assert any(n.startswith("DataFrame.") for n in fetched) and any(n.startswith("Metric.") for n in fetched)
        hidden = page.locator('[class*="st-key-preload_elements"]')
        assert hidden.count() == 1 and not hidden.is_visible()
        assert hidden.bounding_box() is None   # no space taken either
        assert not page.locator('[data-testid="stDataFrame"]').first.is_visible()
        assert not page.locator('[data-testid="stMetric"]').first.is_visible()
    finally:
        context.close()
