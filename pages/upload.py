"""上传报表: a liaison's whole quarterly job — template, upload, every problem at once, preview, confirm."""
from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from data_access.access import PermissionDenied
from ui import data, data_approval, data_ingest
from ui.auth import current_actor, guard_page
from ui.format import count_text, value_text
from ui.frame import page_title, sample_banner
from ui.problems import show_problems
from ui.state import lang, name, tr, trm

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

PREVIEW_KEY = "ingest_preview"
RESULT_KEY = "ingest_result"

page_title("nav.upload", "upload.caption")
sample_banner()
actor = current_actor()
if actor is None or actor.role not in ("admin", "liaison"):
    st.info(tr("upload.sign_in"))
    st.stop()

data_ingest.start_reader()
version = data.version()
depts = data_ingest.departments_for(actor, version)
if not depts:
    st.info(tr("upload.no_template"))
    st.stop()
periods = data_ingest.all_periods(version)
today = dt.date.today()
ended = [p for p in periods if p["end_date"] < today]
labels = {p["code"]: tr("period.label", year=p["year"], quarter=p["quarter"]) for p in periods}
picker_labels = {c: data_approval.labelled(c, label) if c in {p["code"] for p in ended} else label
                 for c, label in labels.items()}

st.subheader(tr("upload.step1"))
c1, c2, c3 = st.columns([2, 1, 1])
by_code = {d["code"]: d for d in depts}
dept_code = c1.selectbox(tr("upload.department"), list(by_code), format_func=lambda c: name(by_code[c]),
                         disabled=len(depts) == 1, key="upload_department")
codes = [p["code"] for p in periods][::-1]
default = ended[-1]["code"] if ended else codes[0]
period = c2.selectbox(tr("upload.period"), codes, index=codes.index(default), format_func=picker_labels.get,
                      key="upload_period")
dept = by_code[dept_code]
period_info = next(p for p in periods if p["code"] == period)
if not data_ingest.has_sheet(dept_code, period):
    st.info(tr("upload.no_template"))
    st.stop()
try:
    filename, template = data_ingest.template(actor, dept_code, period)
except PermissionDenied as denied:
    st.error(tr(denied.key))
    st.stop()
c3.download_button(tr("upload.download_template"), template, file_name=filename, icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_download")
if period_info["end_date"] >= today:
    st.warning(tr("upload.period_open", period=labels[period]))
locked = data_approval.lock(period)
if locked:  # an approved quarter: said before the liaison fills anything in (the check refuses it too)
    st.error(tr("upload.locked", **{**locked, "period": labels[period]}), icon=":material/lock:")
current = data_ingest.current_version(dept["id"], period)
if current:
    st.caption(trm("upload.current", version=current["version"], at=f"{current['uploaded_at']:%Y-%m-%d %H:%M}",
                  who=current["who"]))
else:
    st.caption(tr("upload.none_yet"))

st.subheader(tr("upload.step2"))
upload = st.file_uploader(tr("upload.file"), type=["xlsx", "xlsm", "xls", "et"], key="upload_file")
if upload is None:
    st.session_state.pop(PREVIEW_KEY, None)
    result = st.session_state.pop(RESULT_KEY, None)
    if result:
        st.success(result)
    st.stop()

raw = upload.getvalue()
# The lock is part of the key: after an unlock the same file is checked again, not refused from memory.
state_key = (hashlib.sha256(raw).hexdigest(), dept_code, period, current["id"] if current else None, bool(locked))
stored = st.session_state.get(PREVIEW_KEY)
if stored is None or stored[0] != state_key:
    try:
        with st.spinner(tr("upload.step3")):
            preview = data_ingest.preview_upload(actor, raw, upload.name, dept_code, period)
    except PermissionDenied as denied:
        st.error(tr(denied.key))
        st.stop()
    st.session_state[PREVIEW_KEY] = (state_key, preview)
else:
    preview = stored[1]

st.subheader(tr("upload.step3"))
problems = preview.all_problems
errors = [p for p in problems if p.severity == "error"]
warnings = [p for p in problems if p.severity == "warning"]
notices = [p for p in problems if p.severity == "notice"]
lg = lang()
rows_read = preview.checked.rows_read if preview.checked else 0
# A refused file was not handled at all: its summary claims no automatic handling.
st.markdown(tr("upload.summary_refused", rows=rows_read, errors=len(errors), warnings=len(warnings)) if errors else
            tr("upload.summary", rows=rows_read, errors=len(errors), warnings=len(warnings), notices=len(notices)))
loc = preview.checked.read.located if preview.checked else None
if loc is not None:
    st.caption(trm("upload.sheet_used", sheet=loc.sheet, row=loc.header_row + 1))
# First thing a liaison reads about a file that can go in: what happens to the quarter's figures it
# does not give. By default they stay; deleting them is its own button behind its own confirmation.
if preview.ok and not preview.identical and preview.not_in_file:
    st.warning(tr("upload.not_in_file", count=preview.not_in_file), icon=":material/info:")


show_problems(problems)
if errors or warnings:
    stem = upload.name.rsplit(".", 1)[0]
    st.download_button(tr("upload.download_annotated"), data_ingest.annotated(preview, lg),
                       file_name=f"{stem}-问题标注.xlsx", icon=":material/rule:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="annotated")
if not preview.ok:
    st.stop()

st.subheader(tr("upload.step4"))
if preview.identical:
    st.info(tr("upload.identical"))
    st.stop()
counts = preview.counts
not_in_file = preview.not_in_file
st.markdown(tr("upload.preview_counts", **counts))
kinds = {k: tr(f"upload.kind.{k}") for k in ("new", "changed", "removed", "same")}
indicator_kind = {code: info.kind for code, info in (preview.spec.indicators.items() if preview.spec else [])}


def shown(value: object, indicator: str) -> str:
    if value is None:
        return "—"
    kind = indicator_kind.get(indicator, "count")
    if kind == "ratio":
        return value_text(value, "ratio", "%", lg)
    if indicator == "has_room":
        return tr("common.yes") if value else tr("common.no")
    return count_text(value) if isinstance(value, (int, float)) else str(value)


show_same = st.toggle(tr("upload.show_unchanged"), value=False, key="show_same")
changes = [c for c in preview.changes if show_same or c.kind != "same"]
if changes:
    st.dataframe(pd.DataFrame([{
        tr("upload.col.change"): kinds[c.kind], tr("upload.col.area"): c.name,
        tr("upload.col.item"): tr(f"upload.field.{c.indicator}") if c.indicator in (
            "has_room", "teachers_full", "teachers_part") else c.indicator_name,
        tr("upload.col.old"): shown(c.old, c.indicator), tr("upload.col.new"): shown(c.new, c.indicator),
    } for c in changes]), hide_index=True, width="stretch", key="changes_table")
else:
    st.caption(tr("upload.no_changes"))
mode = None
if st.button(tr("upload.confirm_update") if not_in_file else tr("upload.confirm"), type="primary",
             help=tr("upload.confirm_help"), icon=":material/check:", key="confirm"):
    mode = data_ingest.UPDATE
if not_in_file:
    with st.container(border=True, key="replace_box"):
        st.markdown(tr("upload.replace_title", count=not_in_file))
        sure = st.checkbox(tr("upload.replace_check", count=not_in_file), key="replace_sure")
        if st.button(tr("upload.confirm_replace", count=not_in_file), disabled=not sure, icon=":material/delete:",
                     key="confirm_replace"):
            mode = data_ingest.REPLACE
if mode is not None:
    try:
        result = data_ingest.commit_upload(actor, preview, mode)
    except PermissionDenied as denied:
        st.error(tr(denied.key))
        st.stop()
    if result.status == "accepted":
        st.session_state.pop(PREVIEW_KEY, None)
        message = trm("ingest.result.accepted", department=name(dept), period=labels[period],
                     version=result.version_no)
        if result.deleted:
            message += " " + tr("upload.result_deleted", count=result.deleted)
        elif result.kept:
            message += " " + tr("upload.result_kept", count=result.kept)
        st.session_state[RESULT_KEY] = message
        st.success(message, icon=":material/task_alt:")
    elif result.status == "identical":
        st.info(tr("ingest.result.identical"))
    elif result.status == "locked":
        st.session_state.pop(PREVIEW_KEY, None)
        st.error(tr(result.message_key, **{**result.values, "period": labels[period]}), icon=":material/lock:")
    elif result.status == "stale":
        st.session_state.pop(PREVIEW_KEY, None)
        st.warning(tr("ingest.result.stale"))
        if st.button(tr("upload.reload"), key="reload"):
            st.rerun()
    else:
        st.error(tr("ingest.result.rejected"))
