"""Signing in through the real login form in Playwright, for the browser tests."""
from __future__ import annotations

from pathlib import Path

from data_access.users import DEMO_PASSWORD
from helpers import open_path, settle

ROOT = Path(__file__).resolve().parents[1]


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD, path: str = "") -> None:  # noqa: ANN001
    """Through the login form at base_url/path (the session then stays on that page)."""
    open_path(page, base_url, path)
    page.locator('[data-testid="stTextInput"] input').first.fill(username)
    page.locator('[data-testid="stTextInput"] input[type="password"]').fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    if password == DEMO_PASSWORD:
        # Signed in (in either language): the login form is gone.
        page.wait_for_selector('[data-testid="stTextInput"] input[type="password"]', state="detached", timeout=30_000)
    settle(page, quiet=1.5)


def nav_titles(page) -> list[str]:  # noqa: ANN001
    """The page titles in the sidebar navigation, in order (the label span, without the icon)."""
    return [el.get_attribute("label") for el in page.locator('[data-testid="stSidebarNavLink"] span[label]').all()]
