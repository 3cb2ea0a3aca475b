"""Users and roles page: create, edit, reset, disable — each through the form, checked in the database."""
from __future__ import annotations

from sqlalchemy import select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access import users
from data_access.db import session_scope
from helpers import open_page, signed_in

PAGE = "pages/admin_users.py"


def _user(engine, username: str) -> m.User | None:  # noqa: ANN001
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        if u is not None:
            s.expunge(u)
        return u


def _form_button(at, label: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.label == label)


def test_lists_every_user_with_role_and_status(writable_app) -> None:
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    assert not at.exception
    table = at.dataframe[0].value
    with session_scope(writable_app) as s:
        assert len(table) == len(s.scalars(select(m.User.id)).all())
    row = table[table["用户名"] == "liaison_health"].iloc[0]
    assert (row["角色"], row["所属部门"], row["状态"]) == ("部门联络员", "县卫生健康委员会", "正常")


def test_create_a_liaison_through_the_form(writable_app) -> None:
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    at.text_input[0].input("zhang.wei")
    at.text_input[1].input("张伟")
    at.selectbox[0].set_value("liaison")
    at.selectbox(key="create_dept").set_value(_dept_id(writable_app, "justice"))
    at.text_input[2].input("Temp-pass-2026")
    _form_button(at, "创建账号").click()
    at.run()
    assert not at.exception and not at.error
    assert "已创建账号 zhang.wei" in at.success[0].value
    new = _user(writable_app, "zhang.wei")
    assert (new.role, new.department_id, new.must_change_password) == ("liaison", _dept_id(writable_app, "justice"),
                                                                       True)
    assert ("admin", "user.create") in audit_actions(writable_app)


def test_a_liaison_without_department_is_refused_with_a_message(writable_app) -> None:
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    at.text_input[0].input("no.dept")
    at.text_input[1].input("无部门")
    at.selectbox[0].set_value("liaison")
    at.text_input[2].input("Temp-pass-2026")
    _form_button(at, "创建账号").click()
    at.run()
    assert at.error[0].value == "部门联络员必须选择所属部门，未做任何更改。"
    assert _user(writable_app, "no.dept") is None


def test_disable_and_reset(writable_app) -> None:
    leader_id = _user(writable_app, "leader").id
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    at.selectbox(key="edit_user").set_value(leader_id).run()
    at.button(key="disable_user").click().run()
    assert "已停用账号 leader" in at.success[0].value
    assert _user(writable_app, "leader").is_active is False
    assert not users.authenticate(writable_app, "leader", users.DEMO_PASSWORD).ok
    at.button(key="enable_user").click().run()
    assert _user(writable_app, "leader").is_active is True
    reset_box = next(t for t in at.text_input if t.form_id == "reset_password")
    reset_box.input("New-temp-pass-1")
    _form_button(at, "重置密码并解锁").click()
    at.run()
    assert "已重置 leader 的密码" in at.success[0].value
    assert users.authenticate(writable_app, "leader", "New-temp-pass-1").user["must_change_password"] is True


def test_the_admin_cannot_disable_themselves(writable_app) -> None:
    admin_id = _user(writable_app, "admin").id
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    at.selectbox(key="edit_user").set_value(admin_id).run()
    at.button(key="disable_user").click().run()
    assert at.error[0].value == "不能停用自己正在使用的账号，未做任何更改。"
    assert _user(writable_app, "admin").is_active is True


def test_a_locked_account_shows_as_locked_and_the_admin_lifts_the_lock(writable_app) -> None:
    for _ in range(5):
        users.authenticate(writable_app, "display", "wrong-pass", client="10.9.9.66")
    assert users.authenticate(writable_app, "display", users.DEMO_PASSWORD, client="10.1.1.1").error == "auth.err.locked"
    at = open_page(PAGE, state=signed_in(writable_app, "admin"))
    table = at.dataframe[0].value
    assert table[table["用户名"] == "display"].iloc[0]["状态"] == "已锁定（密码输错次数过多）"
    at.selectbox(key="edit_user").set_value(_user(writable_app, "display").id).run()
    at.button(key="unlock_user").click().run()
    assert not at.exception and "已解除 display 的登录锁定" in at.success[0].value
    assert users.authenticate(writable_app, "display", users.DEMO_PASSWORD, client="10.1.1.1").ok
    assert ("admin", "user.unlock") in audit_actions(writable_app)


def _dept_id(engine, code: str) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(m.Department.id).where(m.Department.code == code))
