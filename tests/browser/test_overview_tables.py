"""The overview's tables in a real browser (ui/html_table.py): the figures, the coloured statuses and
the quarterly lines are drawn; a "behind" row's indicator opens its detail for that township, still
signed in (the link loads the page anew with the session cookie)."""
from __future__ import annotations

import pytest

from browser_auth import sign_in
from helpers import settle

pytestmark = pytest.mark.browser


def test_overview_tables_draw_and_a_behind_row_opens_its_detail(server, page, artifacts) -> None:  # noqa: ANN001
    sign_in(page, server, "leader")
    targets = page.locator(".st-key-wide_overview_targets table.dash-table")
    assert targets.is_visible()
    assert targets.locator("tbody tr").count() >= 10
    assert page.locator('[data-testid="stException"]').count() == 0
    # Every trend line is an image the browser could draw (a sanitiser dropping it leaves an empty cell).
    lines = targets.locator("img[data-values]")
    assert lines.count() >= 10
    assert page.evaluate("""() => [...document.querySelectorAll('table.dash-table img[data-values]')]
                                     .every(i => i.complete && i.naturalWidth > 0)""")
    status = targets.locator("td[data-status]").first
    assert status.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "overview-tables.png"))

    behind = page.locator(".st-key-wide_overview_attention table.dash-table")
    first = behind.locator("tbody tr").first
    township = first.locator("td").first.inner_text()
    indicator = first.locator("a").inner_text()
    with page.expect_navigation(timeout=60_000):
        first.locator("a").click()
    settle(page, quiet=1.5)
    assert "/indicator?" in page.url and "township=" in page.url
    assert page.locator("form.dash-signin").count() == 0          # still signed in
    assert page.get_by_text(indicator).first.is_visible()
    assert page.get_by_text(township).first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
