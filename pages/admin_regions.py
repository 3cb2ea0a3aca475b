"""Regions: rename a township or village (the old name stays an alias for uploads)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import admin
from ui import auth
from ui.data_admin import attempt, children, flash, show_flash, townships
from ui.frame import page_title
from ui.state import name, tr

auth.guard_page(__file__)
page_title("admin.regions.title", "admin.regions.caption")
st.info(tr("admin.regions.merge_note"), icon=":material/info:")
show_flash()

towns = townships()
if not towns:
    st.warning(tr("admin.regions.empty"))
    st.stop()
town_by_id = {t["id"]: t for t in towns}
town_id = st.selectbox(tr("common.township"), list(town_by_id), key="region_township",
                       format_func=lambda i: f"{town_by_id[i]['code']} {name(town_by_id[i])}")
villages = children(town_id)
st.dataframe(pd.DataFrame([{
    tr("admin.field.code"): v["code"], tr("admin.field.name_zh"): v["name_zh"],
    tr("admin.field.name_en"): v["name_en"], tr("admin.field.aliases"): "、".join(v["aliases"]),
} for v in [town_by_id[town_id], *villages]]), hide_index=True, width="stretch")

st.subheader(tr("admin.regions.rename"))
options = {town_id: town_by_id[town_id], **{v["id"]: v for v in villages}}
target = st.selectbox(tr("admin.regions.pick"), list(options), key="region_pick",
                      format_func=lambda i: f"{options[i]['code']} {name(options[i])}")
region = options[target]
with st.form(f"rename_{target}"):
    name_zh = st.text_input(tr("admin.field.name_zh"), value=region["name_zh"])
    name_en = st.text_input(tr("admin.field.name_en"), value=region["name_en"])
    aliases = st.text_input(tr("admin.field.aliases"), value="、".join(region["aliases"]),
                            help=tr("admin.regions.aliases_help"))
    if st.form_submit_button(tr("common.save"), type="primary"):
        parts = [a for a in aliases.replace(",", "、").replace("，", "、").split("、")]
        ok, _ = attempt(admin.rename_region, target, name_zh, name_en, parts)
        if ok:
            flash("admin.saved")
            st.rerun()

st.page_link("pages/admin_import.py", label=tr("admin.regions.bulk_note"), icon=":material/upload_file:")
