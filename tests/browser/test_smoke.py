"""Sign in as the leader through the real form, then open every page the leader can see, in
Chromium: no exception box, no console error, nothing fetched from outside, a screenshot of each."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import open_path
from browser_auth import ROOT, nav_titles, settle, sign_in
from i18n import t
from ui.navigation import pages_for

pytestmark = pytest.mark.browser


def test_every_leader_page_opens_cleanly(server, page, artifacts) -> None:  # noqa: ANN001
    sign_in(page, server, "leader")
    specs = [s for s in pages_for("leader") if (ROOT / s.path).is_file()]
    assert nav_titles(page) == [t(s.title_key, "zh") for s in specs]
    failures = []
    for spec in specs:
        # Click the sidebar link: the session (and the sign-in) stays; a page.goto would start a new one.
        # dispatch_event: a full-screen page (meeting mode) may hide the sidebar.
        page.locator('[data-testid="stSidebarNavLink"]', has_text=t(spec.title_key, "zh")).first.dispatch_event("click")
        settle(page)
        if page.query_selector('[data-testid="stException"]') is not None:
            failures.append(spec.path)
        page.screenshot(path=str(artifacts / f"smoke-{Path(spec.path).stem}.png"), full_page=True)
    assert failures == []
    assert page.external_requests == []
    assert page.console_errors == []


def test_english_switch_keeps_the_page(server, page, artifacts) -> None:  # noqa: ANN001
    open_path(page, server, "?lang=en")
    assert page.get_by_text("Social Psychological Service Steering Dashboard").first.is_visible()
    assert page.get_by_text("Sign in").first.is_visible()
    page.screenshot(path=str(artifacts / "smoke-home-en.png"), full_page=True)
