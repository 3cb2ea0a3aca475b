"""批量导入: the registry or the townships/villages from one Excel sheet, with the upload checker."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from data_access import coords
from data_access.access import PermissionDenied
from data_access.ingest import reference
from ui import auth, data, data_admin, data_ingest
from ui.data_admin import flash, show_flash
from ui.frame import page_title
from ui.problems import show_problems
from ui.state import lang, tr, trm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_KEY = "import_preview"

auth.guard_page(__file__)
data_ingest.start_reader()
page_title("refimport.title", "refimport.caption")
show_flash()

kind = st.radio(tr("refimport.kind"), reference.KINDS, format_func=lambda k: tr(f"refimport.kind.{k}"),
                horizontal=True, key="import_kind")
version = data.version()

st.subheader(tr("refimport.step1"))
st.caption(tr("refimport.step1.help"))
try:
    filename, template = data_admin.import_template(kind)
except PermissionDenied as denied:
    st.error(tr(denied.key))
    st.stop()
st.download_button(tr("refimport.download"), template, file_name=filename, mime=XLSX, icon=":material/download:",
                   key="import_template")

st.subheader(tr("refimport.step2"))
system = coords.WGS84
if kind == reference.SERVICE_POINTS:
    # Coordinates copied from 高德/腾讯 (GCJ-02) or 百度 (BD-09) are converted to WGS84.
    system_labels = {s: tr(f"setup.coords.{s}") for s in coords.SYSTEMS}
    system = st.radio(tr("registry.coords_system"), list(system_labels), format_func=system_labels.get,
                      key="import_coords", help=tr("registry.coords_system.help"))
# After an import the uploader starts empty (a new key): checking the same file again would offer
# its new rows a second time.
uploads = st.session_state.setdefault("import_uploads", 0)
upload = st.file_uploader(tr("refimport.file"), type=["xlsx", "xlsm", "xls", "et"],
                          key=f"import_file_{kind}_{uploads}")
if upload is None:
    st.session_state.pop(PREVIEW_KEY, None)
    st.stop()

raw = upload.getvalue()
state_key = (hashlib.sha256(raw).hexdigest(), kind, version, system)
stored = st.session_state.get(PREVIEW_KEY)
if stored is None or stored[0] != state_key:
    with st.spinner(tr("refimport.step3")):
        preview = data_admin.check_import(kind, raw, upload.name, system)
    st.session_state[PREVIEW_KEY] = (state_key, preview)
else:
    preview = stored[1]

st.subheader(tr("refimport.step3"))
problems = preview.problems
count = {sev: sum(p.severity == sev for p in problems) for sev in ("error", "warning", "notice")}
st.markdown(tr("refimport.summary_refused", rows=preview.rows_read, errors=count["error"], warnings=count["warning"])
            if count["error"] else tr("refimport.summary", rows=preview.rows_read, errors=count["error"],
                                      warnings=count["warning"], notices=count["notice"]))
if preview.read.located is not None:
    st.caption(trm("upload.sheet_used", sheet=preview.read.located.sheet, row=preview.read.located.header_row + 1))
show_problems(problems)
if count["error"] or count["warning"]:
    st.download_button(tr("upload.download_annotated"), data_admin.import_annotated(preview),
                       file_name=f"{upload.name.rsplit('.', 1)[0]}-问题标注.xlsx", mime=XLSX,
                       icon=":material/rule:", key="import_annotated")
if not preview.ok:
    st.stop()

st.subheader(tr("refimport.step4"))
st.markdown(tr("refimport.preview_counts", **preview.counts))
todo = [c for c in preview.changes if c.action != reference.SAME]
if not todo:
    st.info(tr("refimport.result.nothing"), icon=":material/info:")
    st.stop()


def changes_text(change: reference.RowChange) -> str:
    def shown(value: object) -> str:
        return "—" if value in (None, "") else str(value)
    if change.action == reference.NEW:
        return "；".join(f"{reference.field_label(kind, k, lang())}：{shown(new)}" for k, (_, new) in change.fields.items())
    return "；".join(f"{reference.field_label(kind, k, lang())}：{shown(old)} → {shown(new)}"
                    for k, (old, new) in change.fields.items())


st.dataframe(pd.DataFrame([{
    tr("refimport.col.row"): c.row + 1, tr("refimport.col.action"): tr(f"refimport.action.{c.action}"),
    tr("refimport.col.code"): c.code or tr("refimport.code_assigned"), tr("refimport.col.name"): c.name,
    tr("refimport.col.changes"): changes_text(c)} for c in todo]), hide_index=True, width="stretch",
    key="import_changes")
if st.button(tr("refimport.confirm"), type="primary", icon=":material/check:", key="import_confirm"):
    try:
        result = data_admin.commit_import(preview)
    except PermissionDenied as denied:
        st.error(tr(denied.key))
        st.stop()
    st.session_state.pop(PREVIEW_KEY, None)
    if result.status == "accepted":
        flash("refimport.result.accepted", **result.counts)
        st.session_state["import_uploads"] = uploads + 1
        st.rerun()
    st.warning(tr(result.message_key), icon=":material/sync_problem:")
