"""会议记录: joint meetings and leading-group meetings — who was there, topics, decisions — and each
decision made a task in one step. The next briefing follows them up (meeting mode, PPTX, PDF)."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import access
from data_access import meetings as mt
from ui import data, data_tasks
from ui.auth import current_actor, guard_page
from ui.frame import page_title, sample_banner
from ui.state import lang, md, name, tr, trm
from ui.tasks import TASKS_PAGE, forget, fresh, status_text, task_form_fields

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("meetings.title", "meetings.caption")
sample_banner()
actor = current_actor()
lg = lang()
version = data.version()
choices = data_tasks.choices(version)

if st.session_state.get("meetings_flash"):
    st.success(st.session_state.pop("meetings_flash"))

if access.allowed(actor, "meeting.record"):
    with st.expander(tr("meetings.new.heading"), icon=":material/edit_note:"):
        form = fresh("meeting_new")
        with st.form("meeting_new"):
            left, right = st.columns(2)
            held_on = left.date_input(tr("meetings.field.date"), value=dt.date.today(), max_value=dt.date.today(),
                                      key=f"{form}_date")
            kind = right.selectbox(tr("meetings.field.kind"), list(mt.KINDS),
                                   format_func=lambda k: tr(f"meetings.kind.{k}"), key=f"{form}_kind")
            depts = {d["code"]: d for d in choices["departments"]}
            present = st.multiselect(tr("meetings.field.present"), list(depts), format_func=lambda c: name(depts[c]),
                                     key=f"{form}_present")
            topics = st.text_area(tr("meetings.field.topics"), max_chars=mt.TOPICS_MAX, key=f"{form}_topics",
                                  height=90)
            decisions = st.text_area(tr("meetings.field.decisions"), key=f"{form}_decisions", height=140)
            if st.form_submit_button(tr("meetings.new.submit"), type="primary"):
                ok, result = data_tasks.run_write(
                    mt.record_meeting, actor, held_on=held_on if isinstance(held_on, dt.date) else None, kind=kind,
                    department_codes=present, topics=topics, decisions=mt.parse_decisions(decisions))
                if ok:
                    forget("meeting_new")
                    st.session_state["meetings_flash"] = tr("meetings.new.saved")
                    st.rerun()
                st.error(md(result))

meetings = data_tasks.meetings(version)
if not meetings:
    st.info(tr("meetings.none"))
    st.stop()

tasks_by_id = {r["id"]: r for r in data_tasks.tasks(version, actor)}
can_assign = access.allowed(actor, "task.create")
for meeting in meetings:
    with st.container(border=True, key=f"meeting_{meeting['id']}"):
        kind = tr("meetings.kind." + meeting["kind"])
        st.markdown("#### " + tr("meetings.heading", date=meeting["held_on"].isoformat(), kind=kind))
        if meeting["departments"]:
            joined = ("、" if lg == "zh" else ", ").join(name(d) for d in meeting["departments"])
            st.caption(trm("meetings.present", names=joined))
        if meeting["topics"]:
            st.markdown(trm("meetings.topics", text=meeting["topics"]))
        st.markdown(f"**{tr('meetings.decisions')}**")
        if not meeting["decisions"]:
            st.caption(tr("meetings.no_decisions"))
        for d in meeting["decisions"]:
            task = tasks_by_id.get(d["task_id"]) if d["task_id"] else None
            if task is not None:
                left, right = st.columns([5, 2], vertical_alignment="center")
                left.markdown(f"{d['seq']}\\. {md(d['text'])}")
                right.page_link(TASKS_PAGE, label=f"#{task['id']} {status_text(task)}", icon=":material/task_alt:",
                                query_params={"task": str(task["id"])})
                continue
            st.markdown(f"{d['seq']}\\. {md(d['text'])}")
            if can_assign:
                with st.popover(tr("meetings.to_task"), icon=":material/add_task:"):
                    slot = f"decision_{d['id']}"
                    with st.form(slot):
                        fields = task_form_fields(version, fresh(slot), title=d["text"][:200], links=False)
                        if st.form_submit_button(tr("meetings.to_task"), type="primary"):
                            ok, result = data_tasks.run_write(mt.decision_to_task, actor, d["id"], **fields)
                            if ok:
                                forget(slot)
                                st.session_state["meetings_flash"] = tr("meetings.to_task.saved", id=result)
                                st.rerun()
                            st.error(md(result))
