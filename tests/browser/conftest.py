"""Real-browser fixtures: the app served by `streamlit run` on a free port, on a fresh sample
database, driven by Playwright in Debian's Chromium (never a downloaded browser)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from browser_server import running_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running app on its own sample database."""
    with running_app(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    """The one Playwright of the run: its sync API cannot be started a second time while it runs, so a
    test that needs a browser launched its own way (another environment) launches it from this."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver) -> Iterator[object]:  # noqa: ANN001
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


def _is_external(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
        return False
    return parsed.hostname not in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    p = context.new_page()
    p.console_errors = []  # type: ignore[attr-defined]
    p.on("console", lambda msg: msg.type == "error" and p.console_errors.append(msg.text))
    # Intranet rule: nothing may leave this machine. Record every request that tries.
    p.external_requests = []  # type: ignore[attr-defined]
    p.on("request", lambda req: _is_external(req.url) and p.external_requests.append(req.url))
    yield p
    context.close()

