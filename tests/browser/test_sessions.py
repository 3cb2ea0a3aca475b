"""Sign-in that lasts, in Chromium (issue 17): a reload keeps the session, a new tab with a shared
link opens signed in on that view; after sign-out, idle expiry, a password change elsewhere or an
administrator disabling the account, the old cookie opens the sign-in page with the reason. The
cookie is HttpOnly and SameSite=Strict, and no token is anywhere a page script can read."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, select, update

from browser_auth import FORM, submit_sign_in
from browser_server import running_app
from data_access import models as m
from data_access import users
from data_access.access import Actor
from data_access.db import make_engine, session_scope
from data_access.users import DEMO_PASSWORD
from helpers import open_path, settle

pytestmark = pytest.mark.browser
COOKIE = "dash_session"
LINK = "indicator?indicator=special_counselling&period=2026Q2&lang=en"
VIEW = "Special populations given individual counselling · 2026 Q2"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """An app of its own (these tests change passwords and disable accounts) and its database."""
    folder: Path = tmp_path_factory.mktemp("sessions")
    with running_app(folder) as url:
        engine = make_engine(f"sqlite:///{folder / 'app.sqlite'}")
        yield url, engine
        engine.dispose()


@pytest.fixture
def context(browser):  # noqa: ANN001, ANN201
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield ctx
    ctx.close()


def _signed_in_as(page, display_name: str) -> bool:  # noqa: ANN001
    return page.locator('[data-testid="stSidebar"]').get_by_text(display_name).count() > 0


def _cookie(ctx) -> dict:  # noqa: ANN001
    (cookie,) = [c for c in ctx.cookies() if c["name"] == COOKIE]
    return cookie


def _is_sign_in_page(page) -> bool:  # noqa: ANN001
    return page.locator(f'{FORM} input[type="password"]').count() == 1


def _with_old_cookie(browser, url: str, cookie: dict, path: str = ""):  # noqa: ANN001, ANN202
    """A fresh browser that sends only the old cookie (as someone who kept a copy would)."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    ctx.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path", "httpOnly", "sameSite")}])
    page = ctx.new_page()
    open_path(page, url, path)
    return ctx, page


def _actor(engine: Engine, username: str) -> Actor:
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        return Actor(u.id, u.username, u.role, u.department_id)


def test_reload_new_tab_and_a_shared_link_stay_signed_in(served, context, artifacts) -> None:  # noqa: ANN001
    url, _ = served
    page = context.new_page()
    # A shared link opened before signing in: the sign-in form, then that very view.
    open_path(page, url, LINK)
    assert _is_sign_in_page(page)
    submit_sign_in(page, "leader")
    assert page.url == f"{url}/{LINK}"
    page.get_by_text(VIEW).first.wait_for(timeout=30_000)
    # A reload keeps the session.
    page.reload()
    settle(page)
    page.get_by_text(VIEW).first.wait_for(timeout=30_000)
    assert _signed_in_as(page, "领导小组成员（演示）") and not _is_sign_in_page(page)
    # A second tab with another link (as pasted from a chat) opens signed in on that view.
    tab = context.new_page()
    open_path(tab, url, "indicator?indicator=smd_managed&period=2026Q3")
    tab.get_by_text("严重精神障碍患者规范管理率 · 2026年第3季度").first.wait_for(timeout=30_000)
    assert _signed_in_as(tab, "领导小组成员（演示）") and not _is_sign_in_page(tab)
    tab.screenshot(path=str(artifacts / "sessions-second-tab.png"))
    assert page.query_selector('[data-testid="stException"]') is None


def test_the_cookie_is_httponly_strict_and_no_script_can_read_a_token(served, context) -> None:  # noqa: ANN001
    url, _ = served
    page = context.new_page()
    open_path(page, url)
    submit_sign_in(page, "display")
    cookie = _cookie(context)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["secure"] is False
    assert cookie["expires"] == -1           # ends with the browser; the server ends it earlier
    token = cookie["value"]
    assert len(token) >= 40
    readable = page.evaluate("""() => JSON.stringify({cookie: document.cookie,
        local: Object.entries(localStorage), session: Object.entries(sessionStorage)})""")
    assert token not in readable and COOKIE not in readable
    assert token not in page.content()      # nor in the page itself


def test_after_sign_out_the_old_cookie_opens_the_sign_in_page(served, context, browser, artifacts) -> None:  # noqa: ANN001
    url, _ = served
    page = context.new_page()
    open_path(page, url)
    submit_sign_in(page, "leader")
    old = _cookie(context)
    other_tab = context.new_page()
    open_path(other_tab, url, "warnings")
    assert not _is_sign_in_page(other_tab)
    with page.expect_navigation():
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="退出登录").click()
    settle(page)
    assert _is_sign_in_page(page) and page.get_by_text("您已安全退出。").count() == 1
    assert [c for c in context.cookies() if c["name"] == COOKIE] == []   # the route removed it
    page.screenshot(path=str(artifacts / "sessions-signed-out.png"))
    # The other tab's next click finds the session ended.
    other_tab.locator('[data-testid="stSidebarNav"] a', has_text="总览").first.click()
    settle(other_tab)
    assert _is_sign_in_page(other_tab)
    # Someone who kept a copy of the cookie gets the sign-in page.
    ctx, replay = _with_old_cookie(browser, url, old, "warnings")
    try:
        assert _is_sign_in_page(replay) and not _signed_in_as(replay, "领导小组成员（演示）")
    finally:
        ctx.close()


def test_an_idle_session_ends_on_the_server(served, context, browser) -> None:  # noqa: ANN001
    url, engine = served
    page = context.new_page()
    open_path(page, url)
    submit_sign_in(page, "liaison_justice")
    old = _cookie(context)
    # 31 minutes without a click (the server's clock is not ours to move: the session's is).
    with session_scope(engine) as s:
        user_id = s.scalar(select(m.User.id).where(m.User.username == "liaison_justice"))
        s.execute(update(m.UserSession).where(m.UserSession.user_id == user_id)
                  .values(last_seen=dt.datetime.now() - dt.timedelta(minutes=31)))
    page.reload()
    settle(page)
    assert _is_sign_in_page(page)
    assert page.get_by_text("您已超过 30 分钟没有操作").count() == 1
    ctx, replay = _with_old_cookie(browser, url, old)
    try:
        assert _is_sign_in_page(replay)
    finally:
        ctx.close()


def test_a_password_change_ends_the_other_browsers_session(served, context, browser) -> None:  # noqa: ANN001
    url, _ = served
    phone = context.new_page()
    open_path(phone, url)
    submit_sign_in(phone, "liaison_union")
    desk_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        desk = desk_ctx.new_page()
        open_path(desk, url, "account")
        submit_sign_in(desk, "liaison_union")
        desk.get_by_text("修改密码").first.wait_for(timeout=30_000)
        fields = desk.locator('[data-testid="stForm"] input[type="password"]')
        fields.nth(0).fill(DEMO_PASSWORD)
        fields.nth(1).fill("Union-pass-2027")
        fields.nth(2).fill("Union-pass-2027")
        desk.locator('[data-testid="stForm"] [data-testid="stFormSubmitButton"] button').click()
        desk.get_by_text("密码已修改").first.wait_for(timeout=30_000)
        # Where the password was changed, the session goes on (a reload too).
        desk.reload()
        settle(desk)
        assert not _is_sign_in_page(desk)
    finally:
        desk_ctx.close()
    phone.reload()
    settle(phone)
    assert _is_sign_in_page(phone) and phone.get_by_text("密码已在其他地方修改").count() == 1
    # The new password signs in.
    submit_sign_in(phone, "liaison_union", "Union-pass-2027", signed_in=True)
    assert not _is_sign_in_page(phone)


def test_disabling_an_account_ends_its_sessions(served, context, browser) -> None:  # noqa: ANN001
    url, engine = served
    page = context.new_page()
    open_path(page, url)
    submit_sign_in(page, "liaison_petition")
    old = _cookie(context)
    with session_scope(engine) as s:
        target = s.scalar(select(m.User.id).where(m.User.username == "liaison_petition"))
    users.set_active(engine, _actor(engine, "admin"), target, False)
    # The open tab's next click, and a reload with the old cookie, show the sign-in page.
    page.locator('[data-testid="stSidebarNav"] a').first.click()
    settle(page)
    assert _is_sign_in_page(page) and page.get_by_text("已被管理员停用").count() == 1
    ctx, replay = _with_old_cookie(browser, url, old)
    try:
        assert _is_sign_in_page(replay)
    finally:
        ctx.close()
    # And the password no longer opens a session.
    submit_sign_in(page, "liaison_petition", DEMO_PASSWORD, signed_in=False)
    assert _is_sign_in_page(page) and page.get_by_text("该账号已停用").count() == 1


def test_a_wrong_password_says_so_and_keeps_the_link(served, context) -> None:  # noqa: ANN001
    url, _ = served
    page = context.new_page()
    open_path(page, url, LINK)
    submit_sign_in(page, "leader", "not-the-password", signed_in=False)
    assert _is_sign_in_page(page)
    assert page.get_by_text("Wrong username or password").count() == 1
    # The reason is taken out of the address; the link's own parameters stay for the next try.
    page.wait_for_function("() => !location.search.includes('_signin')", timeout=10_000)
    assert page.url == f"{url}/{LINK}"
    submit_sign_in(page, "leader")
    page.get_by_text(VIEW).first.wait_for(timeout=30_000)
