"""Early warning (预警): township x indicator pairs flagged by fixed rules, each with its reason."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.indicators import BEHIND
from data_access.warnings import KINDS
from ui import data, data_views, phone
from ui.frame import page_title, sample_banner
from ui.auth import guard_page
from ui.state import lang, name, tr, trm
from ui.tasks import warning_task_panel
from ui.views import period_label, period_picker

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("warnings.title", "warnings.caption")
sample_banner()
lg = lang()

pick_period, pick_kind, pick_town = st.columns([1, 2, 2])
period = period_picker("warn_period", pick_period)
flags = data_views.warnings_list(data.version(), period)
if flags is None:
    st.warning(tr("home.empty_db"))
    st.stop()

# Filters follow the URL too (?kind=drop&township=990101003), so a link can open one township's flags.
asked_kinds = [k for k in st.query_params.get_all("kind") if k in KINDS] or list(KINDS)
kind_labels = {k: tr(f"warnings.kind.{k}") for k in KINDS}
kinds = pick_kind.multiselect(tr("warnings.filter"), list(KINDS), default=asked_kinds, format_func=kind_labels.get,
                              key="warn_kinds")
st.query_params["kind"] = kinds if len(kinds) < len(KINDS) else []
if not st.query_params.get_all("kind"):
    st.query_params.pop("kind", None)

kids = data_views.children(data.version())["children"]
by_code = {k["code"]: k for k in kids}
asked_town = st.query_params.get("township")
if asked_town and asked_town not in by_code:
    st.warning(trm("views.unknown_township", asked=asked_town))
    asked_town = None
options = [""] + list(by_code)
town_labels = {c: tr("common.all") if not c else name(by_code[c]) for c in options}
town = pick_town.selectbox(tr("warnings.filter_township"), options, index=options.index(asked_town or ""),
                           format_func=town_labels.get, key="warn_town")
if town:
    st.query_params["township"] = town
else:
    st.query_params.pop("township", None)

st.subheader(period_label(period))
counts = {k: sum(f["kind"] == k for f in flags) for k in KINDS}
for col, k in zip(phone.one_row("warning_counts").columns(len(KINDS)), KINDS):
    col.metric(tr(f"warnings.kind.{k}"), counts[k], border=True)

shown = [f for f in flags if f["kind"] in kinds and (not town or f["region_code"] == town
                                                       or f["region_code"].startswith(town))]
warning_task_panel(shown, period)  # "create a task from this warning" (leaders and the office)
if not shown:
    st.success(tr("warnings.none"))
else:
    table = pd.DataFrame([{
        tr("warnings.col.kind"): tr(f"warnings.kind.{f['kind']}"),
        tr("warnings.col.area"): f["region_en"] if lg == "en" else f["region_zh"],
        tr("common.indicator"): f["indicator_en"] if lg == "en" else f["indicator_zh"],
        tr("warnings.col.reason"): f["reason_en"] if lg == "en" else f["reason_zh"],
    } for f in shown])
    # A static table: the reasons are sentences and must wrap, not be cut off. On a phone the four
    # columns would be a few characters wide: one item per flag instead, its kind as the badge.
    phone.status_list([phone.Item(
        f"{f['region_en'] if lg == 'en' else f['region_zh']} · {f['indicator_en'] if lg == 'en' else f['indicator_zh']}",
        phone.plain(f["reason_en"] if lg == "en" else f["reason_zh"]),
        BEHIND, tr(f"warnings.kind.{f['kind']}"), f["region_code"]) for f in shown], "warnings_list")
    phone.wide("warnings_list").table(table.set_index(tr("warnings.col.kind")))
st.caption(tr("warnings.rules"))
