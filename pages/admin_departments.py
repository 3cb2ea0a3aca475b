"""Departments and their liaisons."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import admin
from ui import auth
from ui.data_admin import attempt, departments, flash, show_flash
from ui.frame import page_title
from ui.state import name, tr

auth.guard_page(__file__)
page_title("admin.departments.title", "admin.departments.caption")
show_flash()

depts = departments()
by_id = {d["id"]: d for d in depts}
st.dataframe(pd.DataFrame([{
    tr("admin.field.code"): d["code"], tr("common.department"): name(d),
    tr("admin.field.reports_quarterly"): tr("common.yes") if d["reports_quarterly"] else tr("common.no"),
    tr("admin.field.liaison_name"): d["liaison_name"] or "", tr("admin.field.liaison_phone"): d["liaison_phone"] or "",
} for d in depts]), hide_index=True, width="stretch")

st.subheader(tr("admin.departments.edit"))
chosen = st.selectbox(tr("common.department"), list(by_id), key="dept_pick", format_func=lambda i: name(by_id[i]))
if chosen is not None:
    d = by_id[chosen]
    with st.form(f"dept_{chosen}"):
        name_zh = st.text_input(tr("admin.field.name_zh"), value=d["name_zh"])
        name_en = st.text_input(tr("admin.field.name_en"), value=d["name_en"])
        liaison = st.text_input(tr("admin.field.liaison_name"), value=d["liaison_name"] or "")
        phone = st.text_input(tr("admin.field.liaison_phone"), value=d["liaison_phone"] or "")
        quarterly = st.checkbox(tr("admin.field.reports_quarterly"), value=d["reports_quarterly"])
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(admin.update_department, chosen, name_zh=name_zh, name_en=name_en, liaison_name=liaison,
                            liaison_phone=phone, reports_quarterly=quarterly)
            if ok:
                flash("admin.saved")
                st.rerun()
    st.caption(tr("admin.departments.accounts_note"))

with st.expander(tr("admin.departments.create"), icon=":material/add:"):
    with st.form("dept_create"):
        code = st.text_input(tr("admin.field.code"), help=tr("admin.departments.code_help"))
        name_zh = st.text_input(tr("admin.field.name_zh"))
        name_en = st.text_input(tr("admin.field.name_en"))
        quarterly = st.checkbox(tr("admin.field.reports_quarterly"), value=False)
        if st.form_submit_button(tr("admin.departments.create_submit"), type="primary"):
            ok, _ = attempt(admin.create_department, code=code, name_zh=name_zh, name_en=name_en,
                            reports_quarterly=quarterly)
            if ok:
                flash("admin.saved")
                st.rerun()
