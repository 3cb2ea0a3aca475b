"""报送记录: every version a department sent, who sent it and when, and what changed between versions."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.ingest.clean_copy import CopyRefused
from ui import data, data_ingest
from ui.auth import current_actor, guard_page
from ui.format import count_text, value_text
from ui.frame import page_title, sample_banner
from ui.state import lang, name, tr

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("nav.submissions", "submissions.caption")
sample_banner()
actor = current_actor()
if actor is None or actor.role not in ("admin", "liaison", "leader"):
    st.info(tr("upload.sign_in"))
    st.stop()
version = data.version()
depts = data_ingest.departments_for(actor, version)
if not depts:
    st.info(tr("submissions.none"))
    st.stop()
by_code = {d["code"]: d for d in depts}
dept_code = st.selectbox(tr("upload.department"), list(by_code), format_func=lambda c: name(by_code[c]),
                         disabled=len(depts) == 1, key="history_department")
dept = by_code[dept_code]
rows = data_ingest.versions(actor, dept["id"])
if not rows:
    st.info(tr("submissions.none"))
    st.stop()
lg = lang()
status = {k: tr(f"submissions.status.{k}") for k in ("accepted", "superseded", "rejected")}
st.dataframe(pd.DataFrame([{
    tr("common.period"): r["period"], tr("submissions.col.version"): r["version"],
    tr("submissions.col.status"): status.get(r["status"], r["status"]),
    tr("submissions.col.uploaded_at"): f"{r['uploaded_at']:%Y-%m-%d %H:%M}",
    tr("submissions.col.uploaded_by"): r["uploaded_by"], tr("submissions.col.filename"): r["filename"],
    tr("submissions.col.rows"): r["rows"], "SHA-256": r["sha256"][:12],
} for r in rows]), hide_index=True, width="stretch", key="versions_table")

st.subheader(tr("submissions.compare"))
by_period: dict[str, list[dict]] = {}
for r in rows:
    by_period.setdefault(r["period"], []).append(r)
periods = sorted(by_period, reverse=True)
period = st.selectbox(tr("common.period"), periods, key="history_period")
items = sorted(by_period[period], key=lambda r: r["version"])


def label(r: dict) -> str:
    return tr("submissions.version_label", period=r["period"], version=r["version"], at=f"{r['uploaded_at']:%Y-%m-%d %H:%M}")


if len(items) < 2:
    st.caption(tr("submissions.one_version"))
else:
    ids = {r["id"]: r for r in items}
    c1, c2 = st.columns(2)
    older = c1.selectbox(tr("submissions.older"), [r["id"] for r in items[:-1]], index=len(items) - 2,
                         format_func=lambda i: label(ids[i]), key="older")
    newer = c2.selectbox(tr("submissions.newer"), [r["id"] for r in items if r["version"] > ids[older]["version"]],
                         format_func=lambda i: label(ids[i]), key="newer")
    changes = data_ingest.version_changes(actor, older, newer)
    if not changes:
        st.caption(tr("submissions.no_diff"))
    else:
        def shown(v: object, num: object, den: object) -> str:
            if v is None:
                return "—"
            if num is not None and den:
                return f"{value_text(v, 'ratio', '%', lg)} ({count_text(num)}/{count_text(den)})"
            return count_text(v) if isinstance(v, (int, float)) else str(v)
        kinds = {k: tr(f"upload.kind.{k}") for k in ("new", "changed", "removed")}
        st.dataframe(pd.DataFrame([{
            tr("upload.col.change"): kinds[c["kind"]], tr("upload.col.area"): c["name"],
            tr("upload.col.item"): c["indicator_name"],
            tr("upload.col.old"): shown(c["old"], c["old_num"], c["old_den"]),
            tr("upload.col.new"): shown(c["new"], c["new_num"], c["new_den"]),
        } for c in changes]), hide_index=True, width="stretch", key="diff_table")

with_file = [r for r in by_period[period] if r["has_file"]]
if with_file:
    pick = st.selectbox(tr("submissions.pick_file"), [r["id"] for r in with_file],
                        format_func=lambda i: label(next(r for r in with_file if r["id"] == i)), key="original_pick")
    found = data_ingest.original(actor, pick)
    if found:
        # The default is a values-only copy: the original may hold macros or formulas that call out
        # (WEBSERVICE) when a leader opens it. The original stays available, with that said beside it.
        copy_col, original_col = st.columns(2)
        try:
            copy = data_ingest.clean(actor, pick, lang())
        except CopyRefused:
            copy = None
            copy_col.warning(tr("submissions.copy_failed"))
        if copy:
            copy_col.download_button(tr("submissions.download_copy"), copy[1], file_name=copy[0], type="primary",
                                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                     icon=":material/download:", key="copy_download", width="stretch")
            copy_col.caption(tr("submissions.copy_note"))
        original_col.download_button(tr("submissions.download_original"), found[1], file_name=found[0],
                                     icon=":material/warning:", key="original_download", width="stretch")
        risks = "".join(tr(f"submissions.risk.{r}") for r in (copy[2] if copy else ()))
        original_col.caption(tr("submissions.original_note", risks=risks))
