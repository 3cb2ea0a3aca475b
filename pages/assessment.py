"""考核结果: the year's scores of townships or departments, each item's points, adjustments, ranks, exports."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access.assessment import export, schemes
from ui import auth, data, data_assessment
from ui.data_admin import attempt, flash, show_flash
from ui.frame import page_title, sample_banner
from ui.state import lang, tr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

auth.guard_page(__file__)
page_title("nav.assessment", "assess.caption")
sample_banner()
show_flash()
lg = lang()

years = data_assessment.years()
c1, c2 = st.columns([1, 2])
asked = st.query_params.get("year")
start = int(asked) if asked and asked.isdigit() and int(asked) in years else years[0]
year = c1.selectbox(tr("assess.year"), years, index=years.index(start), key="assess_year")
subject_labels = {s: tr(f"assess.subject.{s}") for s in ("township", "department")}
subject = c2.segmented_control(tr("assess.subject"), list(subject_labels), format_func=subject_labels.get,
                               default=st.query_params.get("subject") if st.query_params.get("subject") in
                               subject_labels else "township", key="assess_subject") or "township"
st.query_params["year"], st.query_params["subject"] = str(year), subject

result = data_assessment.result(year, subject)
if result is None:
    st.info(tr("assess.no_scheme", year=year, subject=subject_labels[subject]))
    actor = auth.current_actor()
    if actor is not None and actor.role == "admin":
        st.caption(tr("assess.no_scheme_admin"))
    st.stop()

st.subheader(result.name_zh)
if result.as_of is None:
    st.info(tr("assess.not_started"))
else:
    st.caption(tr("assess.as_of", period=result.as_of, full=f"{result.full_points:g}"))

items = result.rows[0].items if result.rows else []
# Rank, name and total first (visible on a phone too), then the adjustment and each item's points.
table = pd.DataFrame([{
    tr("assess.col.rank"): r.rank, tr("assess.col.name"): export.name(r, lg),
    tr("assess.col.total"): export.points_text(r.total),
    tr("assess.col.adjustment"): export.points_text(r.adjustment) if r.adjustment else "",
    **{f"{i + 1}. {export.label(ln, lg)}": export.points_text(ln.earned) for i, ln in enumerate(r.items)},
} for r in result.rows])
st.dataframe(table, hide_index=True, width="stretch", key="assess_table")

version = data.version()
today = dt.date.today()
d1, d2 = st.columns(2)
workbook = data_assessment.excel(version, year, subject, lg, today)
if workbook:
    d1.download_button(tr("assess.export_excel"), workbook, file_name=f"考核结果-{year}-{subject}.xlsx", mime=XLSX,
                       icon=":material/download:", key="assess_excel")
document = data_assessment.pdf(version, year, subject, lg, today)
if document:
    d2.download_button(tr("assess.export_pdf"), document, file_name=f"考核结果-{year}-{subject}.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:", key="assess_pdf")
else:
    d2.caption(tr("assess.pdf_unavailable"))

st.subheader(tr("assess.breakdown"))
by_code = {r.code: r for r in result.rows}
chosen = st.selectbox(tr("assess.pick_subject"), list(by_code), format_func=lambda c: export.name(by_code[c], lg),
                      key="assess_pick")
row = by_code[chosen]
st.dataframe(pd.DataFrame([{
    tr("assess.col.item"): export.label(ln, lg), tr("assess.col.rule"): tr(f"assess.rule.{ln.rule}"),
    tr("assess.col.points"): f"{ln.points:g}", tr("assess.col.value"): export.measure_text(ln, lg),
    tr("assess.col.target"): export.measure_text(ln, lg, "target"),
    tr("assess.col.floor"): export.measure_text(ln, lg, "floor"),
    tr("assess.col.earned"): export.points_text(ln.earned), tr("assess.col.note"): export.note_text(ln, lg),
} for ln in row.items]), hide_index=True, width="stretch", key="assess_breakdown")
if row.applicable != result.full_points:
    st.caption(tr("assess.scaled_note", applicable=export.points_text(row.applicable),
                  earned=export.points_text(row.earned), full=export.points_text(result.full_points),
                  scaled=export.points_text(row.scaled)))

st.markdown(f"**{tr('assess.adjustments')}**")
if row.adjustments:
    st.dataframe(pd.DataFrame([{
        tr("assess.col.adjustment"): f"{a['points']:+g}", tr("assess.col.reason"): a["reason"],
        tr("assess.col.by"): a["by"], tr("assess.col.at"): f"{a['at']:%Y-%m-%d %H:%M}",
    } for a in row.adjustments]), hide_index=True, width="stretch", key="assess_adjustments")
else:
    st.caption(tr("assess.no_adjustments"))

actor = auth.current_actor()
if actor is not None and actor.role in ("admin", "leader"):
    with st.form("assess_adjust", clear_on_submit=False):
        st.markdown(f"**{tr('assess.adjust')}** · {export.name(row, lg)}")
        st.caption(tr("assess.adjust_help"))
        f1, f2 = st.columns([1, 3])
        points = f1.number_input(tr("assess.adjust_points"), min_value=-schemes.MAX_POINTS,
                                 max_value=schemes.MAX_POINTS, value=0.0, step=0.5, key="assess_adjust_points")
        reason = f2.text_input(tr("assess.adjust_reason"), max_chars=500, key="assess_adjust_reason")
        if st.form_submit_button(tr("assess.adjust_submit"), icon=":material/edit_note:"):
            ok, _ = attempt(schemes.add_adjustment, year, subject, chosen, points, reason)
            if ok:
                flash("assess.adjusted", name=export.name(row, lg), points=f"{points:+g}")
                st.rerun()
