"""Signing in through the real login form in Playwright, for the browser tests."""
from __future__ import annotations

import time
from pathlib import Path

from data_access.users import DEMO_PASSWORD
from helpers import open_path

ROOT = Path(__file__).resolve().parents[1]


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD, path: str = "") -> None:  # noqa: ANN001
    """Through the login form at base_url/path (the session then stays on that page)."""
    open_path(page, base_url, path)
    page.locator('[data-testid="stTextInput"] input').first.fill(username)
    page.locator('[data-testid="stTextInput"] input[type="password"]').fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    if password == DEMO_PASSWORD:
        # Signed in: the sidebar offers to sign out.
        page.locator('[data-testid="stSidebar"] button', has_text="退出登录").wait_for(state="attached", timeout=30_000)
    settle(page)


def settle(page, quiet: float = 1.5) -> None:  # noqa: ANN001
    deadline, since = time.time() + 60, None
    while time.time() < deadline:
        busy = page.query_selector('[data-testid="stStatusWidget"]') or page.query_selector('[data-testid="stSkeleton"]')
        since = None if busy else (since or time.time())
        if since and time.time() - since >= quiet:
            return
        time.sleep(0.2)


def nav_titles(page) -> list[str]:  # noqa: ANN001
    """The page titles in the sidebar navigation, in order (the label span, without the icon)."""
    return [el.get_attribute("label") for el in page.locator('[data-testid="stSidebarNavLink"] span[label]').all()]
