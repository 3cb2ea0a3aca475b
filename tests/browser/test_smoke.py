"""Open every page in Chromium: no exception box, no console error, a screenshot of each."""
from __future__ import annotations

from pathlib import Path

import pytest

from ui.navigation import page_specs
from helpers import open_path

pytestmark = pytest.mark.browser


def _url_path(spec) -> str:  # noqa: ANN001
    return "" if spec.default else Path(spec.path).stem


@pytest.mark.parametrize("spec", [s for s in page_specs() if "leader" in s.roles], ids=lambda s: Path(s.path).stem)
def test_every_page_opens_cleanly(server, page, artifacts, spec) -> None:  # noqa: ANN001
    open_path(page, server, _url_path(spec))
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / f"smoke-{Path(spec.path).stem}.png"), full_page=True)
    assert page.external_requests == []
    assert page.console_errors == []


def test_english_switch_keeps_the_page(server, page, artifacts) -> None:  # noqa: ANN001
    open_path(page, server, "?lang=en")
    assert page.get_by_text("Social Psychological Service Steering Dashboard").first.is_visible()
    page.screenshot(path=str(artifacts / "smoke-home-en.png"), full_page=True)
