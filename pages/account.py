"""My account: who I am signed in as, and changing my own password."""
from __future__ import annotations

import streamlit as st

from data_access import users
from ui import auth
from ui.data_admin import attempt, flash, show_flash
from ui.frame import page_title
from ui.state import tr, trm

auth.guard_page(__file__)
page_title("account.title")
show_flash()
user = auth.current_user() or {}
if user.get("must_change_password"):
    st.warning(tr("auth.must_change"))

st.markdown(trm("account.who", name=user.get("display_name", ""), username=user.get("username", ""),
               role=tr(f"role.{user.get('role')}")))
if user.get("department_code"):
    st.caption(trm("account.department", code=user["department_code"]))

st.subheader(tr("auth.change_password"))
st.caption(tr("account.rules", min=users.PASSWORD_MIN))
st.caption(tr("account.other_sessions"))
with st.form("change_password", clear_on_submit=True):
    old = st.text_input(tr("account.old"), type="password", autocomplete="current-password")
    new = st.text_input(tr("account.new"), type="password", autocomplete="new-password")
    repeat = st.text_input(tr("account.repeat"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(tr("account.submit"), type="primary")
if submitted:
    ok, _ = attempt(users.change_password, old, new, repeat, keep_token=auth.session_token())
    if ok:
        st.session_state["user"] = {**user, "must_change_password": False}
        flash("account.changed")
        st.rerun()

st.divider()
auth.sign_out_button(key="account_sign_out")
