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


def test_a_narrow_window_wraps_the_overview_actions(server, browser, artifacts) -> None:  # noqa: ANN001
    """A laptop zoomed to 1024 px beside the sidebar: the quarter picker and the actions go onto two
    lines instead of being cut short; at 1440 px they stay on one line."""
    for width, one_line in ((1024, False), (1440, True)):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
        page = context.new_page()
        try:
            sign_in(page, server, "leader")
            picker = page.locator('.st-key-wrap_overview_actions [data-testid="stSelectbox"]').first
            value = picker.locator("input").first   # the chosen quarter's label is the input's value
            assert "2026年第3季度" in value.input_value()
            assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the quarter's label is cut short"
            tops = page.evaluate("""() => [...document.querySelectorAll(
                '.st-key-wrap_overview_actions > [data-testid=stLayoutWrapper] > [data-testid=stHorizontalBlock] > [data-testid=stColumn]')]
                .map(c => Math.round(c.getBoundingClientRect().top))""")
            assert (len(set(tops)) == 1) == one_line, (width, tops)
            warnings = page.get_by_text("查看预警").first
            assert warnings.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
            page.screenshot(path=str(artifacts / f"overview-actions-{width}.png"))
        finally:
            context.close()
