"""Indicators and their targets. A new target closes the one in force; both stay in the history."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import admin
from ui import auth
from ui.data_admin import attempt, departments, flash, indicators, show_flash, target_history
from ui.format import target_text
from ui.frame import page_title
from ui.state import lang, name, tr

auth.guard_page(__file__)
page_title("admin.indicators.title", "admin.indicators.caption")
show_flash()

items = indicators()
by_id = {i["id"]: i for i in items}
depts = {d["id"]: d for d in departments()}
chosen = st.selectbox(tr("common.indicator"), list(by_id), key="indicator_pick",
                      format_func=lambda i: name(by_id[i]) + ("" if by_id[i]["is_target"] else tr("admin.indicators.outcome")))
if chosen is None:
    st.stop()
ind = by_id[chosen]
is_ratio = ind["kind"] == "ratio"

st.subheader(tr("admin.indicators.history"))
history = target_history(chosen)
if history:
    st.dataframe(pd.DataFrame([{
        tr("common.target"): target_text(h["value"], h["comparison"], ind["kind"], ind["unit"], lang()),
        tr("common.target_date"): h["target_date"],
        tr("admin.indicators.from"): h["effective_from"],
        tr("admin.indicators.to"): h["effective_to"] or tr("admin.indicators.in_force"),
        tr("admin.indicators.set_by"): h["set_by"] or "",
        tr("admin.field.note"): h["note"] or "",
    } for h in history]), hide_index=True, width="stretch")
else:
    st.caption(tr("common.no_target"))

st.subheader(tr("admin.indicators.new_target"))
current = next((h for h in history if h["effective_to"] is None), None)
unit_hint = "%" if is_ratio else (ind["unit"] or "")
with st.form(f"target_{chosen}"):
    shown = (current["value"] * 100 if is_ratio else current["value"]) if current else 0.0
    value = st.number_input(tr("admin.indicators.value", unit=unit_hint), value=float(shown), step=1.0,
                            format="%.1f" if is_ratio else "%.0f", help=tr(f"admin.indicators.value_help_{ind['kind']}"))
    comparison = st.selectbox(tr("admin.indicators.comparison"), admin.COMPARISONS,
                              index=admin.COMPARISONS.index(current["comparison"]) if current else 0)
    left, right = st.columns(2)
    target_date = left.date_input(tr("common.target_date"),
                                  value=current["target_date"] if current else dt.date(dt.date.today().year, 12, 31),
                                  format="YYYY-MM-DD")
    effective = right.date_input(tr("admin.indicators.from"), value=dt.date.today(), format="YYYY-MM-DD",
                                 help=tr("admin.indicators.from_help"))
    band = st.number_input(tr("admin.indicators.near_band"), value=float((current["near_band"] if current else 0.1) * 100),
                           step=1.0, format="%.0f", help=tr("admin.indicators.near_band_help"))
    note = st.text_input(tr("admin.field.note"))
    if st.form_submit_button(tr("admin.indicators.save_target"), type="primary"):
        stored = value / 100 if is_ratio else value
        ok, _ = attempt(admin.set_target, chosen, value=stored, comparison=comparison, target_date=target_date,
                        effective_from=effective, near_band=band / 100, note=note)
        if ok:
            flash("admin.indicators.target_saved")
            st.rerun()

with st.expander(tr("admin.indicators.edit"), icon=":material/edit:"):
    with st.form(f"indicator_{chosen}"):
        name_zh = st.text_input(tr("admin.field.name_zh"), value=ind["name_zh"])
        name_en = st.text_input(tr("admin.field.name_en"), value=ind["name_en"])
        owners = [None, *depts]
        owner = st.selectbox(tr("admin.indicators.owner"), owners,
                             index=owners.index(ind["owner_department_id"]) if ind["owner_department_id"] in owners else 0,
                             format_func=lambda i: "—" if i is None else name(depts[i]))
        desc = st.text_area(tr("admin.field.description"), value=ind["description_zh"] or "")
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(admin.update_indicator, chosen, name_zh=name_zh, name_en=name_en,
                            owner_department_id=owner, description_zh=desc)
            if ok:
                flash("admin.saved")
                st.rerun()
