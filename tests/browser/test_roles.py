"""Sign in through the real form as each demo role and see exactly that role's pages; a liaison
opening an admin page's URL gets a clear message; a wrong password gets one too."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser_auth import ROOT, nav_titles, settle, sign_in
from i18n import t
from ui.navigation import pages_for

pytestmark = pytest.mark.browser
ROLES = {"admin": "admin", "leader": "leader", "liaison": "liaison_health", "display": "display"}


def expected_titles(role: str) -> list[str]:
    return [t(s.title_key, "zh") for s in pages_for(role) if (ROOT / s.path).is_file()]


@pytest.mark.parametrize("role", list(ROLES))
def test_each_demo_role_sees_exactly_its_pages(server, page, artifacts, role) -> None:  # noqa: ANN001
    sign_in(page, server, ROLES[role])
    titles = nav_titles(page)
    assert titles == expected_titles(role)
    admin_titles = {t(k, "zh") for k in ("nav.admin_users", "nav.admin_regions", "nav.admin_audit")}
    assert (admin_titles <= set(titles)) == (role == "admin")
    assert page.get_by_text(f"（{t(f'role.{role}', 'zh')}）").count() == 1  # who is signed in (sidebar)
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / f"roles-{role}.png"), full_page=True)
    assert page.external_requests == [] and page.console_errors == []


def test_a_liaison_opening_an_admin_url_gets_a_clear_message(server, page, artifacts) -> None:  # noqa: ANN001
    sign_in(page, server, "liaison_union", path="admin_users")
    assert page.get_by_text("无权打开此页面").first.is_visible()
    assert page.query_selector('[data-testid="stException"]') is None
    assert page.query_selector('[data-testid="stDataFrame"]') is None  # the user list never rendered
    page.screenshot(path=str(artifacts / "roles-liaison-admin-url.png"), full_page=True)


def test_admin_pages_open_cleanly(server, page, artifacts) -> None:  # noqa: ANN001
    sign_in(page, server, "admin")
    for spec in [s for s in pages_for("admin") if s.path.startswith("pages/admin_") or s.path == "pages/account.py"]:
        page.locator('[data-testid="stSidebarNavLink"]', has_text=t(spec.title_key, "zh")).first.click()
        settle(page)
        assert page.query_selector('[data-testid="stException"]') is None, spec.path
        page.screenshot(path=str(artifacts / f"admin-{Path(spec.path).stem}.png"), full_page=True)
    assert page.console_errors == [] and page.external_requests == []


def test_wrong_password_message_and_login_screenshot(server, page, artifacts) -> None:  # noqa: ANN001
    sign_in(page, server, "liaison_propaganda", password="not-the-password")
    assert page.get_by_text("用户名或密码不正确").first.is_visible()
    assert page.locator('input[type="password"]').count() == 1
    assert page.get_by_text("None", exact=True).count() == 0  # no stray value written by Streamlit "magic"
    page.screenshot(path=str(artifacts / "login-wrong-password.png"), full_page=True)
