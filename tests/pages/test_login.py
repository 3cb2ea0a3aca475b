"""Sign-in page and the gate in app.py: wrong password, lockout, expiry, disabled account,
forced password change, a role opening a page it may not see."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access import users
from data_access.access import Actor
from data_access.db import session_scope
from view_helpers import html_tables
from helpers import open_page, signed_in


@pytest.fixture(autouse=True)
def served_through_serve_py(monkeypatch) -> None:  # noqa: ANN001
    """As under `streamlit run serve.py`: the sign-in routes are mounted in this process."""
    from serving import routes

    monkeypatch.setattr(routes, "INSTALLED", True)


def test_without_the_routes_the_sign_in_page_says_how_to_start_the_server(writable_app, monkeypatch) -> None:
    from serving import routes

    monkeypatch.setattr(routes, "INSTALLED", False)
    at = open_page()
    assert _is_login(at) and "serve.py" in at.error[0].value


def _forms(at) -> list[str]:  # noqa: ANN001
    return [h.proto.body for h in at.html if "<form" in h.proto.body]


def _is_login(at) -> bool:  # noqa: ANN001
    """The sign-in form is on the page: a plain HTML form posting to the sign-in route."""
    return any('class="dash-signin"' in f and 'action="/session/sign-in"' in f for f in _forms(at))


def _cookie(monkeypatch, token: str | None) -> None:  # noqa: ANN001
    """The browser sends the sign-in cookie with `token` (what st.context.cookies holds in a browser)."""
    from ui import auth

    monkeypatch.setattr(auth, "session_token", lambda: token)


def _session(engine, username: str) -> str:  # noqa: ANN001
    result = users.authenticate(engine, username, users.DEMO_PASSWORD, start_session=True)
    assert result.ok
    return result.token


def test_nobody_signed_in_sees_only_the_sign_in_form(writable_app) -> None:
    at = open_page()
    assert not at.exception
    assert _is_login(at) and len(at.dataframe) == 0 and not html_tables(at)
    form = _forms(at)[-1]
    # Names the browser's password manager knows; the password never becomes a Streamlit widget.
    assert 'name="username" autocomplete="username"' in form and 'type="password" name="password"' in form
    assert len(at.text_input) == 0
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
    assert _is_login(at) and len(at.dataframe) == 0 and not html_tables(at)


def test_the_form_sends_the_browser_back_to_the_link_it_came_from(writable_app) -> None:
    at = open_page(query={"period": "2026Q3", "indicator": "smd_managed", "_signin": "wrong"})
    form = _forms(at)[-1]
    assert 'name="next" value="/?period=2026Q3&amp;indicator=smd_managed"' in form


def test_a_valid_cookie_opens_the_app_signed_in_with_the_databases_role(writable_app, monkeypatch) -> None:
    token = _session(writable_app, "leader")
    _cookie(monkeypatch, token)
    at = open_page()
    assert not at.exception and not _is_login(at) and len(html_tables(at)) > 0   # the overview's tables
    user = at.session_state["user"]
    assert (user["username"], user["role"], user["via"]) == ("leader", "leader", "cookie")
    # The sign-out is a form posting to the route (which removes the cookie), not a widget.
    assert any('action="/session/sign-out"' in f for f in _forms(at))
    assert not [b for b in at.button if b.key == "auth_sign_out"]
    # The token itself is kept nowhere in the session's state.
    assert token not in repr(at.session_state.to_dict())


@pytest.mark.parametrize("ending,message", [
    ("idle", "30 分钟没有操作"),
    ("sign_out", "您已安全退出"),
    ("password_changed", "密码已在其他地方修改"),
    ("password_reset", "管理员已重置了您的密码"),
    ("disabled", "已被管理员停用"),
])
def test_an_ended_session_shows_the_sign_in_form_with_the_reason(writable_app, monkeypatch, ending: str,
                                                                  message: str) -> None:
    import datetime as dt

    from data_access import user_sessions

    token = _session(writable_app, "leader")
    _cookie(monkeypatch, token)
    at = open_page()
    assert not _is_login(at)
    admin = Actor(_user_id(writable_app, "admin"), "admin", "admin")
    leader_id = _user_id(writable_app, "leader")
    if ending == "idle":
        with session_scope(writable_app) as s:
            s.scalar(select(m.UserSession)).last_seen -= dt.timedelta(minutes=31)
    elif ending == "sign_out":
        users.sign_out(writable_app, Actor(leader_id, "leader", "leader"), token=token)
    elif ending == "password_changed":
        users.change_password(writable_app, Actor(leader_id, "leader", "leader"), users.DEMO_PASSWORD,
                              "Other-pass-99", "Other-pass-99", keep_token=_session(writable_app, "leader"))
    elif ending == "password_reset":
        users.reset_password(writable_app, admin, leader_id, "Temp-pass-12")
    else:
        users.set_active(writable_app, admin, leader_id, False)
    at.run()  # the next click in the same tab
    assert not at.exception and _is_login(at) and "user" not in at.session_state
    shown = [w.value for w in at.warning] + [i.value for i in at.info]
    assert any(message in v for v in shown), shown
    # A reload (a new session) with the same old cookie: the sign-in form again.
    again = open_page()
    assert _is_login(again) and "user" not in again.session_state
    if ending == "idle":
        assert audit_actions(writable_app)[-1] == ("leader", "auth.session_expired")
        with session_scope(writable_app) as s:
            assert user_sessions.live_sessions(s, leader_id, dt.datetime.now()) == 0


def _user_id(engine, username: str) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(m.User.id).where(m.User.username == username))


def test_a_forged_or_stale_cookie_is_nobody_without_a_message(writable_app, monkeypatch) -> None:
    _cookie(monkeypatch, "x" * 43)
    at = open_page()
    assert not at.exception and _is_login(at) and not at.warning


@pytest.mark.parametrize("query,message", [
    ({"_signin": "wrong"}, "用户名或密码不正确"),
    ({"_signin": "locked", "_wait": "30"}, "请 30 分钟后再试"),
    ({"_signin": "now_locked", "_wait": "15"}, "密码连续输错次数过多，请 15 分钟后再试"),
    ({"_signin": "disabled"}, "该账号已停用"),
    ({"_signin": "busy"}, "当前登录的人较多"),
    ({"_signin": "empty"}, "请输入用户名和密码"),
])
def test_what_the_sign_in_route_answered_is_said_once(writable_app, query: dict, message: str) -> None:
    at = open_page(query={"period": "2026Q3", **query})
    assert not at.exception and _is_login(at)
    assert message in at.error[0].value
    # Taken out of the URL: a reload does not say it again, the link's own parameters stay.
    assert dict(at.query_params) == {"period": "2026Q3"}


def test_sign_in_messages_in_english(writable_app) -> None:
    at = open_page(lang="en", query={"_signin": "empty"})
    assert at.error[0].value == "Please enter your username and password."
    assert "Username" in _forms(at)[-1] and ">Sign in</button>" in _forms(at)[-1]


def test_a_made_up_result_code_shows_nothing(writable_app) -> None:
    at = open_page(query={"_signin": "<b>call 12345</b>"})
    assert not at.exception and _is_login(at) and not at.error


def test_signed_out_says_so(writable_app) -> None:
    at = open_page(query={"_signin": "signed_out"})
    assert any("您已安全退出" in i.value for i in at.info)


def test_an_idle_session_expires(writable_app) -> None:
    """A session kept in memory (the identity platform's, or a test's) expires the same way."""
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


def test_after_a_reset_only_the_account_page_opens(writable_app, monkeypatch) -> None:
    with session_scope(writable_app) as s:
        admin_id = s.scalar(select(m.User.id).where(m.User.username == "admin"))
        leader_id = s.scalar(select(m.User.id).where(m.User.username == "leader"))
    users.reset_password(writable_app, Actor(admin_id, "admin", "admin"), leader_id, "Temp-pass-12")
    result = users.authenticate(writable_app, "leader", "Temp-pass-12", start_session=True)
    elsewhere = users.authenticate(writable_app, "leader", "Temp-pass-12", start_session=True).token
    _cookie(monkeypatch, result.token)
    at = open_page()
    assert at.session_state["user"]["must_change_password"] is True
    assert "重置了密码" in at.warning[0].value
    assert len(at.dataframe) == 0 and not html_tables(at)  # home's tables are not shown
    assert at.title[0].value == "我的账号"
    # Opening the app again (the home URL) still lands on the account page.
    again = open_page()
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
    # This browser's sign-in goes on; the one elsewhere has ended.
    assert users.session_user(writable_app, result.token).user["username"] == "leader"
    assert users.session_user(writable_app, elsewhere).ended == "password_changed"


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
