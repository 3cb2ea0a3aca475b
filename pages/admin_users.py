"""Users and roles: create accounts, change role or department, reset a password, disable."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import users
from ui import auth
from ui.data_admin import attempt, departments, flash, show_flash, user_rows
from ui.frame import page_title
from ui.state import name, tr

ROLES = ("admin", "leader", "liaison", "display")

auth.guard_page(__file__)
page_title("admin.users.title", "admin.users.caption")
show_flash()

rows = user_rows()
depts = departments()
dept_by_id = {d["id"]: d for d in depts}


def status(u: dict) -> str:
    if not u["is_active"]:
        return tr("admin.users.disabled")
    if u["locked"]:
        return tr("admin.users.locked")
    return tr("admin.users.must_change") if u["must_change_password"] else tr("admin.users.active")


st.dataframe(pd.DataFrame([{
    tr("admin.field.username"): u["username"],
    tr("admin.field.display_name"): u["display_name"],
    tr("admin.field.role"): tr(f"role.{u['role']}"),
    tr("admin.field.department"): name(dept_by_id[u["department_id"]]) if u["department_id"] in dept_by_id else "",
    tr("admin.users.status"): status(u),
} for u in rows]), hide_index=True, width="stretch")


def department_box(label_key: str, key: str, current: int | None = None) -> int | None:
    ids = [None] + [d["id"] for d in depts]
    return st.selectbox(tr(label_key), ids, index=ids.index(current) if current in ids else 0, key=key,
                        format_func=lambda i: tr("admin.users.no_department") if i is None else name(dept_by_id[i]),
                        help=tr("admin.users.department_help"))


with st.expander(tr("admin.users.create"), icon=":material/person_add:"):
    with st.form("create_user", clear_on_submit=False):
        username = st.text_input(tr("admin.field.username"), help=tr("admin.users.username_help"))
        display = st.text_input(tr("admin.field.display_name"))
        role = st.selectbox(tr("admin.field.role"), ROLES, index=2, format_func=lambda r: tr(f"role.{r}"))
        dept = department_box("admin.field.department", "create_dept")
        password = st.text_input(tr("admin.users.temp_password"), type="password", autocomplete="new-password",
                                 help=tr("account.rules", min=users.PASSWORD_MIN))
        if st.form_submit_button(tr("admin.users.create_submit"), type="primary"):
            ok, _ = attempt(users.create_user, username=username, display_name=display, role=role,
                            department_id=dept, password=password)
            if ok:
                flash("admin.users.created", username=username.strip())
                st.rerun()

st.subheader(tr("admin.users.edit"))
by_id = {u["id"]: u for u in rows}
chosen = st.selectbox(tr("admin.users.pick"), list(by_id), key="edit_user",
                      format_func=lambda i: f"{by_id[i]['username']} · {by_id[i]['display_name']}")
if chosen is not None:
    u = by_id[chosen]
    with st.form("edit_user_form"):
        display = st.text_input(tr("admin.field.display_name"), value=u["display_name"])
        role = st.selectbox(tr("admin.field.role"), ROLES, index=ROLES.index(u["role"]),
                            format_func=lambda r: tr(f"role.{r}"))
        dept = department_box("admin.field.department", f"edit_dept_{chosen}", u["department_id"])
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(users.update_user, chosen, display_name=display, role=role, department_id=dept)
            if ok:
                flash("admin.saved")
                st.rerun()
    left, right = st.columns(2)
    with left, st.form("reset_password", clear_on_submit=True):
        st.markdown(f"**{tr('admin.users.reset')}**")
        temp = st.text_input(tr("admin.users.temp_password"), type="password", autocomplete="new-password")
        if st.form_submit_button(tr("admin.users.reset_submit")):
            ok, _ = attempt(users.reset_password, chosen, temp)
            if ok:
                flash("admin.users.reset_done", username=u["username"])
                st.rerun()
    with right:
        st.markdown(f"**{tr('admin.users.status')}**: {status(u)}")
        if u["locked"] and st.button(tr("admin.users.unlock"), icon=":material/lock_open:", key="unlock_user"):
            ok, _ = attempt(users.unlock, chosen)
            if ok:
                flash("admin.users.unlocked_done", username=u["username"])
                st.rerun()
        if u["is_active"]:
            if st.button(tr("admin.users.disable"), icon=":material/block:", key="disable_user"):
                ok, _ = attempt(users.set_active, chosen, False)
                if ok:
                    flash("admin.users.disabled_done", username=u["username"])
                    st.rerun()
        elif st.button(tr("admin.users.enable"), icon=":material/check:", key="enable_user"):
            ok, _ = attempt(users.set_active, chosen, True)
            if ok:
                flash("admin.users.enabled_done", username=u["username"])
                st.rerun()
