"""Reporting quarters and their deadlines."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import admin
from ui import auth
from ui.data_admin import attempt, flash, periods, show_flash
from ui.frame import page_title
from ui.state import tr

auth.guard_page(__file__)
page_title("admin.periods.title", "admin.periods.caption")
show_flash()

rows = periods()
st.dataframe(pd.DataFrame([{
    tr("common.period"): tr("period.label", year=p["year"], quarter=p["quarter"]),
    tr("admin.periods.start"): p["start_date"], tr("admin.periods.end"): p["end_date"],
    tr("admin.periods.deadline"): p["deadline"],
} for p in rows]), hide_index=True, width="stretch")

by_id = {p["id"]: p for p in rows}
if by_id:
    st.subheader(tr("admin.periods.edit"))
    chosen = st.selectbox(tr("common.period"), list(by_id), key="period_pick",
                          format_func=lambda i: tr("period.label", year=by_id[i]["year"], quarter=by_id[i]["quarter"]))
    p = by_id[chosen]
    with st.form(f"deadline_{chosen}"):
        deadline = st.date_input(tr("admin.periods.deadline"), value=p["deadline"],
                                 min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31), format="YYYY-MM-DD")
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(admin.set_deadline, chosen, deadline)
            if ok:
                flash("admin.saved")
                st.rerun()

st.subheader(tr("admin.periods.add"))
with st.form("add_period"):
    days = st.number_input(tr("admin.periods.days"), min_value=1, max_value=366, value=15, step=1)
    if st.form_submit_button(tr("admin.periods.add_submit")):
        ok, code = attempt(admin.add_next_period, deadline_days=int(days))
        if ok:
            flash("admin.periods.added", code=code)
            st.rerun()
