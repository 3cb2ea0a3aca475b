"""Signing in through the real login form in Playwright, for the browser tests."""
from __future__ import annotations

from pathlib import Path

from data_access.users import DEMO_PASSWORD
from helpers import open_path, settle

ROOT = Path(__file__).resolve().parents[1]


FORM = "form.dash-signin"


def submit_sign_in(page, username: str, password: str = DEMO_PASSWORD, signed_in: bool | None = None) -> None:  # noqa: ANN001
    """Fill the sign-in form already on the page and send it (a real form post to /session/sign-in;
    the browser then loads the page it came from, with the cookie). signed_in: wait until the form is
    gone (default: when the password is the demo one)."""
    page.locator(f'{FORM} input[name="username"]').wait_for(timeout=60_000)
    page.locator(f'{FORM} input[name="username"]').fill(username)
    page.locator(f'{FORM} input[name="password"]').fill(password)
    with page.expect_navigation(timeout=60_000):
        page.locator(f'{FORM} button[type="submit"]').click()
    if signed_in if signed_in is not None else password == DEMO_PASSWORD:
        page.wait_for_selector('[data-testid="stSidebarNav"], .mt-slide', state="attached", timeout=60_000)
        page.wait_for_selector(FORM, state="detached", timeout=60_000)
    settle(page, quiet=1.5)


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD, path: str = "") -> None:  # noqa: ANN001
    """Through the login form at base_url/path (the browser then comes back to that page)."""
    open_path(page, base_url, path)
    submit_sign_in(page, username, password)


def nav_titles(page) -> list[str]:  # noqa: ANN001
    """The page titles in the sidebar navigation, in order (the label span, without the icon)."""
    return [el.get_attribute("label") for el in page.locator('[data-testid="stSidebarNavLink"] span[label]').all()]
