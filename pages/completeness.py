"""报送情况: department × quarter — on time, late, missing — and who still owes a sheet."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import data, data_ingest, data_tasks
from ui.frame import page_title, sample_banner
from ui.auth import guard_page
from ui.state import lang, md, name, tr, trm

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("nav.completeness", "completeness.caption")
sample_banner()
matrix = data_ingest.completeness_matrix(data.version(), dt.date.today())
periods = matrix["periods"]
if not periods:
    st.info(tr("completeness.none_owing"))
    st.stop()
STYLE = {"on_time": ("✔", "#1a7f37", "#dcfce7"), "late": ("▲", "#9a6700", "#fef3c7"),
         "missing": ("✖", "#b42318", "#fee2e2"), "due": ("…", "#57606a", "#f1f5f9")}


def cell_text(cell: dict) -> str:
    symbol = STYLE[cell["status"]][0]
    if cell["status"] == "on_time":
        return f"{symbol} {tr('completeness.on_time')}"
    if cell["status"] == "late":
        return f"{symbol} {tr('completeness.late', days=cell['days_late'])}"
    if cell["status"] == "missing":
        return f"{symbol} {tr('completeness.missing')}"
    return f"{symbol} {tr('completeness.due_short')}"


latest = periods[-1]["code"]
cells = matrix["cells"]
count = {s: sum(cells[f"{d['code']}|{latest}"]["status"] == s for d in matrix["departments"])
         for s in ("on_time", "late", "missing")}
st.markdown(tr("completeness.summary", period=latest, **count))
shown = periods[-8:]
late_tasks = data_tasks.overdue_by_department(data.version(), dt.date.today())
# The overdue tasks beside the department's name: the quarter columns may scroll out of sight.
frame = pd.DataFrame([{tr("completeness.col.department"): name(d),
                       tr("tasks.completeness.col"): (tr("tasks.completeness.cell", n=late_tasks[d["code"]])
                                                      if late_tasks.get(d["code"]) else "—"),
                       **{p["code"]: cell_text(cells[f"{d['code']}|{p['code']}"]) for p in shown}}
                      for d in matrix["departments"]])
statuses = [[cells[f"{d['code']}|{p['code']}"]["status"] for p in shown] for d in matrix["departments"]]


def colour(col: pd.Series) -> list[str]:
    if col.name == tr("tasks.completeness.col"):
        return ["color: #b42318; font-weight: 600" if late_tasks.get(d["code"]) else "" for d in matrix["departments"]]
    if col.name not in [p["code"] for p in shown]:
        return [""] * len(col)
    j = [p["code"] for p in shown].index(col.name)
    return [f"color: {STYLE[row[j]][1]}; background-color: {STYLE[row[j]][2]}" for row in statuses]


st.dataframe(frame.style.apply(colour), hide_index=True, width="stretch", key="completeness_matrix")
st.caption(tr("completeness.legend"))
st.caption(tr("tasks.completeness.caption"))

st.subheader(tr("completeness.owing_title"))
owing = matrix["owing"]
if not owing:
    st.success(tr("completeness.none_owing"))
else:
    lg = lang()
    for o in owing[::-1]:
        status = tr("completeness.overdue_days", days=o["days_overdue"]) if o["status"] == "missing" \
            else tr("completeness.due_short")
        who = f" · {md(o['liaison_name'])} {md(o['liaison_phone'] or '')}" if o["liaison_name"] else ""
        st.markdown("- " + trm("completeness.owing_line", department=o["name_en"] if lg == "en" else o["name_zh"],
                              period=o["period"], deadline=o["deadline"].isoformat(), status=status) + who)
