"""The audit trail (操作日志): filter, read, download as Excel. Nothing here changes it."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from data_access import audit
from i18n import CATALOGUE
from ui import auth
from ui.data_admin import audit_choices, audit_entries
from ui.frame import page_title
from ui.state import tr

auth.guard_page(__file__)
page_title("admin.audit.title", "admin.audit.caption")


def action_label(action: str) -> str:
    """Known actions read as words; an action another area adds later still shows, as its code."""
    key = f"audit.action.{action}"
    return f"{tr(key)} ({action})" if key in CATALOGUE else action


choices = audit_choices()
today = dt.date.today()
c1, c2, c3 = st.columns([2, 1, 1])
span = c1.date_input(tr("admin.audit.dates"), value=(today - dt.timedelta(days=30), today), format="YYYY-MM-DD",
                     key="audit_dates")
user = c2.selectbox(tr("admin.audit.user"), [None, *choices["users"]], key="audit_user",
                    format_func=lambda u: tr("common.all") if u is None else u)
groups = sorted({a.split(".")[0] for a in choices["actions"]})
action_options = [None, *sorted(set(groups) | set(choices["actions"]))]
action = c3.selectbox(tr("admin.audit.action"), action_options, key="audit_action",
                      format_func=lambda a: tr("common.all") if a is None else action_label(a))
# A half-picked range (first day only) filters from that day on.
start, end = (span[0], span[1]) if isinstance(span, (tuple, list)) and len(span) == 2 else (
    span[0] if isinstance(span, (tuple, list)) and span else None, None)

rows = audit_entries(start, end, user, action)
st.caption(tr("admin.audit.count", count=len(rows)))

HEADERS = {"at": "admin.audit.at", "username": "admin.audit.user", "action": "admin.audit.action",
           "entity": "admin.audit.entity", "entity_id": "admin.audit.entity_id", "before": "admin.audit.before",
           "after": "admin.audit.after", "detail": "admin.audit.detail"}


def text(value: object) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list)) else str(value)


frame = pd.DataFrame([{tr(HEADERS[k]): (r[k].replace(microsecond=0) if k == "at" else text(r[k])) for k in HEADERS}
                      for r in rows], columns=[tr(h) for h in HEADERS.values()])
st.dataframe(frame, hide_index=True, width="stretch", height=520)

st.download_button(tr("common.download_excel"), icon=":material/download:",
                   data=audit.to_excel(rows, {k: tr(h) for k, h in HEADERS.items()}),
                   file_name=f"audit-{today.isoformat()}.xlsx", key="audit_download",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
