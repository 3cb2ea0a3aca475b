"""Signing in through a unified identity platform (OIDC) in Chromium, end to end: Streamlit's
st.login against a local stand-in provider (tests/fake_idp.py), then the local account and role;
a person the platform knows but this platform does not is told so. Both the provider and the app
run on localhost: nothing leaves the machine."""
from __future__ import annotations

import pytest

from browser_server import free_port, running_app
from fake_idp import identity_provider, secrets_toml
from helpers import settle

pytestmark = pytest.mark.browser


def _platform_sign_in(page, tmp_path, claims: dict) -> None:  # noqa: ANN001
    with identity_provider(claims) as idp:
        port = free_port()
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(secrets_toml(idp, port))
        with running_app(tmp_path, "--secrets.files", str(secrets), port=port) as url:
            page.goto(url)
            settle(page)
            # /auth/login -> the provider -> /oauth2callback -> back to the app's root
            with page.expect_response(lambda r: "/oauth2callback" in r.url, timeout=60_000):
                page.get_by_role("button", name="使用统一身份认证登录").click()
            page.wait_for_load_state()
            settle(page)
            yield url


def test_a_platform_user_enters_with_the_local_account_and_role(page, tmp_path, artifacts) -> None:  # noqa: ANN001
    for url in _platform_sign_in(page, tmp_path, {"sub": "0001", "preferred_username": "leader", "name": "王主任"}):
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("领导小组成员（演示）").first.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stSidebarNavLink"]', has_text="总览").count() == 1
        assert page.locator('[data-testid="stSidebarNavLink"]', has_text="用户与角色").count() == 0
        assert page.query_selector('[data-testid="stException"]') is None
        page.screenshot(path=str(artifacts / "sso-signed-in.png"), full_page=True)
        # A reload keeps the platform's sign-in (its cookie), unlike a password session.
        page.reload()
        settle(page)
        sidebar.get_by_text("领导小组成员（演示）").first.wait_for(timeout=30_000)
        # Signing out here also leaves the platform: the sign-in page comes back.
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("button", name="使用统一身份认证登录").wait_for(timeout=30_000)
    assert page.external_requests == []


def test_a_platform_user_without_an_account_here_is_told_so(page, tmp_path, artifacts) -> None:  # noqa: ANN001
    for _ in _platform_sign_in(page, tmp_path, {"sub": "0002", "preferred_username": "stranger"}):
        page.get_by_text("统一身份认证账号“stranger”尚未在本平台开通").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="退出统一身份认证，换用本平台账号").is_visible()
        assert page.query_selector('[data-testid="stException"]') is None
        page.screenshot(path=str(artifacts / "sso-refused.png"), full_page=True)
