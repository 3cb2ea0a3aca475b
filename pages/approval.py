"""季度审核: review a quarter (who reported, open warnings), approve and lock it, unlock with a reason."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import approval
from ui import auth, data_approval
from ui.data_admin import attempt, flash, show_flash
from ui.frame import page_title
from ui.state import lang, name, tr
from ui.views import period_label, period_picker

auth.guard_page(__file__)
page_title("nav.approval", "approval.caption")
show_flash()

period = period_picker("approval_period")
label = period_label(period)
review = data_approval.review(period)
locked = data_approval.lock(period)
if locked:
    st.success(tr("approval.is_approved", **{**locked, "period": label}), icon=":material/lock:")
else:
    st.info(tr("approval.is_pending", period=label), icon=":material/lock_open:")

st.subheader(tr("approval.reports"))
st.markdown(tr("approval.report_counts", **review["report_counts"]))
st.dataframe(pd.DataFrame([{
    tr("approval.col.department"): name(r),
    tr("approval.col.state"): tr(f"approval.state.{r['state']}"),
    tr("approval.col.first_at"): f"{r['first_at']:%Y-%m-%d %H:%M}" if r["first_at"] else "—",
    # Text throughout (a blank for on time): a column of numbers and blanks cannot go to Arrow as is.
    tr("approval.col.days_late"): str(r["days_late"]) if r["days_late"] else "",
} for r in review["reports"]]), hide_index=True, width="stretch", key="approval_reports")

st.subheader(tr("approval.warnings"))
flags = review["warnings"]
if flags:
    st.caption(tr("approval.warning_count", count=len(flags)))
    lg = lang()
    st.dataframe(pd.DataFrame([{
        tr("approval.col.area"): f.region_en if lg == "en" else f.region_zh,
        tr("approval.col.indicator"): f.indicator_en if lg == "en" else f.indicator_zh,
        tr("approval.col.reason"): f.reason(lg),
    } for f in flags]), hide_index=True, width="stretch", key="approval_warnings")
else:
    st.caption(tr("approval.no_warnings"))

actor = auth.current_actor()
if actor is not None and actor.role == "admin":
    if not locked:
        missing = review["report_counts"].get("missing", 0)
        if missing:
            st.warning(tr("approval.missing_warning", count=missing))
        with st.form("approve_form"):
            note = st.text_input(tr("approval.note"), max_chars=approval.NOTE_MAX, key="approve_note")
            if st.form_submit_button(tr("approval.approve"), type="primary", icon=":material/verified:"):
                ok, _ = attempt(approval.approve, period, note)
                if ok:
                    flash("approval.approved_ok", period=label)
                    st.rerun()
    else:
        with st.form("unlock_form"):
            reason = st.text_area(tr("approval.reason"), help=tr("approval.reason_help"),
                                  max_chars=approval.NOTE_MAX, key="unlock_reason")
            if st.form_submit_button(tr("approval.unlock"), icon=":material/lock_open:"):
                ok, _ = attempt(approval.unlock, period, reason)
                if ok:
                    flash("approval.unlocked_ok", period=label)
                    st.rerun()
else:
    st.caption(tr("approval.read_only"))

st.subheader(tr("approval.history"))
rows = data_approval.history(period)
if not rows:
    st.caption(tr("approval.no_history"))
for row in rows:
    if row["unlocked_at"]:
        st.markdown("- " + tr("approval.history_unlock", at=f"{row['unlocked_at']:%Y-%m-%d %H:%M}",
                              who=row["unlocked_by"], reason=row["unlock_reason"]))
    st.markdown("- " + tr("approval.history_row", at=f"{row['approved_at']:%Y-%m-%d %H:%M}", who=row["approved_by"])
                + (f"（{row['note']}）" if row["note"] else ""))
