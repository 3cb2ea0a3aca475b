"""Sign-in page and the gate in app.py: wrong password, lockout, expiry, disabled account,
forced password change, a role opening a page it may not see."""
from __future__ import annotations

import time

from sqlalchemy import select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access import users
from data_access.access import Actor
from data_access.db import session_scope
from helpers import open_page, signed_in


def _submit(at, username: str, password: str):  # noqa: ANN001, ANN202
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def _is_login(at) -> bool:  # noqa: ANN001
    return [t.label for t in at.text_input] == ["用户名", "密码"]


def test_nobody_signed_in_sees_only_the_sign_in_form(writable_app) -> None:
    at = open_page()
    assert not at.exception
    assert _is_login(at) and len(at.dataframe) == 0
    assert "演示数据" in at.info[0].value           # the sample-data banner stays
    assert any("demo2026" in c.value for c in at.caption)


def test_a_new_deployment_without_accounts_is_told_to_run_create_admin(empty_app) -> None:
    """After README's real-deployment steps the database has no sample data; before create-admin
    the sign-in page says how to make the first administrator (and shows no demo hint)."""
    at = open_page()
    assert not at.exception and _is_login(at)
    assert "create-admin" in at.info[0].value
    assert not any("demo2026" in c.value for c in at.caption)


def test_a_bookmarked_admin_page_shows_the_sign_in_form_first(writable_app) -> None:
    at = open_page("pages/admin_audit.py")
    assert not at.exception
    assert _is_login(at) and len(at.dataframe) == 0


def test_sign_in_as_leader_opens_the_home_page_and_is_audited(writable_app) -> None:
    at = _submit(open_page(), "leader", users.DEMO_PASSWORD)
    assert not at.exception
    assert at.session_state["user"]["role"] == "leader"
    assert not _is_login(at) and len(at.dataframe) > 0
    assert audit_actions(writable_app)[-1] == ("leader", "auth.sign_in")
    # The password is not kept in the session.
    assert users.DEMO_PASSWORD not in repr({k: at.session_state[k] for k in ("user",)})


def test_wrong_password_then_lockout(writable_app) -> None:
    at = open_page()
    for _ in range(4):
        at = _submit(at, "liaison_health", "wrong-password")
        assert at.error[0].value.startswith("用户名或密码不正确")
    at = _submit(at, "liaison_health", "wrong-password")
    assert "请 15 分钟后再试" in at.error[0].value
    at = _submit(at, "liaison_health", users.DEMO_PASSWORD)
    assert "登录尝试次数过多" in at.error[0].value and "user" not in at.session_state
    actions = [a for u, a in audit_actions(writable_app) if u == "liaison_health"]
    assert actions.count("auth.sign_in_failed") == 6 and "auth.sign_in" not in actions


def test_empty_form_and_english(writable_app) -> None:
    at = open_page(lang="en")
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert at.error[0].value == "Please enter your username and password."


def test_an_idle_session_expires(writable_app) -> None:
    state = signed_in(writable_app, "leader") | {"last_activity": time.time() - 31 * 60}
    at = open_page(state=state)
    assert not at.exception
    assert _is_login(at) and "user" not in at.session_state
    assert "30 分钟没有操作" in at.warning[0].value
    assert audit_actions(writable_app)[-1] == ("leader", "auth.session_expired")
    # 29 minutes idle: still signed in.
    at = open_page(state=signed_in(writable_app, "leader") | {"last_activity": time.time() - 29 * 60})
    assert not _is_login(at) and at.session_state["user"]["username"] == "leader"


def test_a_preset_user_without_activity_stamp_counts_as_active(writable_app) -> None:
    at = open_page(state=signed_in(writable_app, "display"))
    assert not _is_login(at) and at.session_state["user"]["role"] == "display"
    assert abs(at.session_state["last_activity"] - time.time()) < 60


def test_a_user_disabled_meanwhile_is_signed_out(writable_app) -> None:
    state = signed_in(writable_app, "leader")
    with session_scope(writable_app) as s:
        admin_id = s.scalar(select(m.User.id).where(m.User.username == "admin"))
    users.set_active(writable_app, Actor(admin_id, "admin", "admin"), state["user"]["id"], False)
    at = open_page(state=state)
    assert _is_login(at) and "已被管理员停用" in at.warning[0].value


def test_a_liaison_opening_an_admin_page_gets_a_clear_message(writable_app) -> None:
    at = open_page("pages/admin_users.py", state=signed_in(writable_app, "liaison"))
    assert not at.exception
    assert "无权打开此页面" in at.warning[0].value and "部门联络员" in at.warning[0].value
    assert len(at.dataframe) == 0 and len(at.text_input) == 0  # the page's own code did not run


def test_after_a_reset_only_the_account_page_opens(writable_app) -> None:
    with session_scope(writable_app) as s:
        admin_id = s.scalar(select(m.User.id).where(m.User.username == "admin"))
        leader_id = s.scalar(select(m.User.id).where(m.User.username == "leader"))
    users.reset_password(writable_app, Actor(admin_id, "admin", "admin"), leader_id, "Temp-pass-12")
    at = _submit(open_page(), "leader", "Temp-pass-12")
    assert at.session_state["user"]["must_change_password"] is True
    assert "重置了密码" in at.warning[0].value
    assert len(at.dataframe) == 0  # home's tables are not shown
    assert at.title[0].value == "我的账号"
    # Opening the app again (the home URL) still lands on the account page.
    again = open_page(state={"user": at.session_state["user"]})
    assert again.title[0].value == "我的账号" and len(again.dataframe) == 0
    inputs = at.text_input
    inputs[0].input("Temp-pass-12")
    inputs[1].input("Own-pass-345")
    inputs[2].input("Own-pass-345")
    next(b for b in at.button if b.label == "修改密码").click()
    at.run()
    assert not at.exception
    assert at.session_state["user"]["must_change_password"] is False
    assert users.authenticate(writable_app, "leader", "Own-pass-345").ok


def test_sign_out(writable_app) -> None:
    at = open_page("pages/account.py", state=signed_in(writable_app, "liaison"))
    at.button(key="account_sign_out").click()
    at.run()
    assert "user" not in at.session_state
    assert audit_actions(writable_app)[-1] == ("liaison_health", "auth.sign_out")


def _identity_platform(monkeypatch, claims: dict | None) -> None:  # noqa: ANN001
    """The county's identity platform configured, with `claims` as what st.user says after its
    login (None: nobody has signed in there yet). The real st.login needs the platform itself."""
    from ui import auth

    monkeypatch.setattr(auth, "sso_provider", lambda: "")
    monkeypatch.setattr(auth, "sso_claims", lambda: claims)


def test_without_an_identity_platform_there_is_no_platform_button(writable_app) -> None:
    at = open_page()
    assert not at.exception
    assert [b.key for b in at.button if b.key in ("sso_login", "sso_logout")] == []


def test_identity_platform_button_then_its_user_enters_with_the_local_role(writable_app, monkeypatch) -> None:
    _identity_platform(monkeypatch, None)
    at = open_page()
    assert not at.exception and _is_login(at)
    assert [b.label for b in at.button if b.key == "sso_login"] == ["使用统一身份认证登录"]
    _identity_platform(monkeypatch, {"preferred_username": "leader", "name": "王主任", "email": "w@hean.gov.cn"})
    at = open_page()
    assert not at.exception and not _is_login(at)
    assert at.session_state["user"]["role"] == "leader" and at.session_state["user"]["sso"]
    assert audit_actions(writable_app)[-1] == ("leader", "auth.sign_in")


def test_identity_platform_user_without_an_account_gets_a_clear_message(writable_app, monkeypatch) -> None:
    _identity_platform(monkeypatch, {"preferred_username": "stranger"})
    at = open_page("pages/indicator.py")
    assert not at.exception and _is_login(at)
    assert "“stranger”尚未在本平台开通" in at.error[0].value
    assert [b.label for b in at.button if b.key == "sso_logout"] == ["退出统一身份认证，换用本平台账号"]
    assert "user" not in at.session_state


def test_an_idle_identity_platform_session_also_leaves_the_platform(writable_app, monkeypatch) -> None:
    """Else the platform's cookie would sign the browser straight back in after the idle timeout."""
    from ui import auth

    left: list[bool] = []
    _identity_platform(monkeypatch, {"preferred_username": "leader"})
    monkeypatch.setattr(auth.st, "logout", lambda: left.append(True))
    user = signed_in(writable_app, "leader")["user"] | {"sso": True}
    at = open_page(state={"user": user, "last_activity": time.time() - 31 * 60})
    assert not at.exception and left == [True]
    assert audit_actions(writable_app)[-1] == ("leader", "auth.session_expired")
