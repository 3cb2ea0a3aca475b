"""督办任务: the steering tasks. Leaders and the office see every task, create them and follow them
up; a liaison sees their own department's tasks and reports progress with evidence."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import access
from data_access import tasks as tk
from ui import data, data_tasks, phone
from ui.auth import current_actor, guard_page
from ui.frame import page_title, sample_banner
from ui.state import lang, md, name, tr, trm
from ui.tasks import STATUS_STYLE, forget, fresh, status_text, task_form_fields

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

actor = current_actor()
is_liaison = actor is not None and actor.role == "liaison"
page_title("tasks.title", "tasks.caption_liaison" if is_liaison else "tasks.caption")
sample_banner()
lg = lang()
version = data.version()

if st.session_state.get("tasks_flash"):
    st.success(st.session_state.pop("tasks_flash"))

rows = data_tasks.tasks(version, actor)
count = {s: sum(r["status"] == s for r in rows) for s in tk.STATUSES}
with phone.one_row("task_counts"):
    for col, status in zip(st.columns(4), (tk.OVERDUE, tk.IN_PROGRESS, tk.NOT_STARTED, tk.DONE)):
        col.metric(tr(f"tasks.metric.{status}"), count[status], border=True)

# ---------------------------------------------------------------- new task (admin, leader)
can_create = access.allowed(actor, "task.create")
if can_create:
    with st.expander(tr("tasks.new.heading"), icon=":material/add_task:"):
        with st.form("task_new"):
            fields = task_form_fields(version, fresh("task_new"))
            if st.form_submit_button(tr("tasks.new.submit"), type="primary"):
                ok, result = data_tasks.run_write(tk.create_task, actor, **fields)
                if ok:
                    forget("task_new")
                    st.session_state["tasks_flash"] = tr("tasks.new.saved", id=result)
                    st.query_params["task"] = str(result)
                    st.rerun()
                st.error(md(result))

# ---------------------------------------------------------------- the list
choices = data_tasks.choices(version)
filters = st.columns([3, 3, 1], vertical_alignment="bottom")
status_pick = filters[0].multiselect(tr("tasks.filter.status"), list(tk.STATUSES),
                                     default=[s for s in tk.STATUSES if s != tk.DONE],
                                     format_func=lambda s: tr(f"tasks.status.{s}"), key="tasks_status")
dept_codes = sorted({r["department_code"] for r in rows})
dept_names = {r["department_code"]: (r["department_en"] if lg == "en" else r["department_zh"]) for r in rows}
dept_pick = [] if is_liaison else filters[1].multiselect(tr("tasks.filter.department"), dept_codes,
                                                         format_func=dept_names.get, key="tasks_dept",
                                                         placeholder=tr("common.all"))
shown = [r for r in rows if (not status_pick or r["status"] in status_pick)
         and (not dept_pick or r["department_code"] in dept_pick)]

if not rows:
    st.info(tr("tasks.none_liaison" if is_liaison else "tasks.none"))
elif not shown:
    st.info(tr("tasks.none"))
else:
    def area(r: dict) -> str:
        return (r["township_en"] if lg == "en" else r["township_zh"]) or "—"

    def indicator(r: dict) -> str:
        return (r["indicator_en"] if lg == "en" else r["indicator_zh"]) or "—"

    frame = pd.DataFrame([{
        tr("tasks.col.no"): f"#{r['id']}",
        tr("tasks.col.title"): r["title"],
        tr("tasks.col.department"): r["department_en"] if lg == "en" else r["department_zh"],
        tr("tasks.col.township"): area(r),
        tr("tasks.col.deadline"): r["deadline"].isoformat(),
        tr("tasks.col.status"): status_text(r),
        tr("tasks.col.source"): tr(f"tasks.source.{r['source']}"),
        tr("tasks.col.progress"): r["progress_count"],
    } for r in shown])
    statuses = [r["status"] for r in shown]

    def colour(col: pd.Series) -> list[str]:
        if col.name != tr("tasks.col.status"):
            return [""] * len(col)
        return [f"color: {STATUS_STYLE[s][0]}; background-color: {STATUS_STYLE[s][1]}; font-weight: 600"
                for s in statuses]

    phone.status_list([phone.Item(r["title"], phone.plain(
        r["department_en"] if lg == "en" else r["department_zh"], r["deadline"].isoformat()),
        STATUS_STYLE[r["status"]][2], status_text(r), str(r["id"])) for r in shown], "tasks_list")
    phone.wide("tasks_list").dataframe(frame.style.apply(colour), hide_index=True, width="stretch",
                                       key="tasks_table",
                                       column_config={tr("tasks.col.title"): st.column_config.TextColumn(width=360)})

# ---------------------------------------------------------------- one task: history and progress
if rows:
    ids = [r["id"] for r in rows]
    asked = st.query_params.get("task")
    if asked and (not asked.isdigit() or int(asked) not in ids):
        st.warning(tr("tasks.unknown", id=asked))
        asked = None
    by_id = {r["id"]: r for r in rows}
    order = [r["id"] for r in shown] + [i for i in ids if i not in {r["id"] for r in shown}]
    start = int(asked) if asked else order[0]
    if st.session_state.get("task_pick") not in order:
        st.session_state.pop("task_pick", None)
    picked = st.selectbox(tr("tasks.pick"), order, index=order.index(start), key="task_pick",
                          format_func=lambda i: tr("tasks.pick_label", id=i, title=by_id[i]["title"][:40],
                                                   status=status_text(by_id[i])))
    st.query_params["task"] = str(picked)
    found = data_tasks.task_detail(version, actor, picked)
    if found is not None:
        task, notes = found
        with st.container(border=True, key="task_detail"):
            st.markdown(f"#### #{task['id']} {md(task['title'])}")
            st.markdown(trm("tasks.detail.meta", department=task["department_en"] if lg == "en" else task["department_zh"],
                           deadline=task["deadline"].isoformat(), status=status_text(task),
                           source=tr(f"tasks.source.{task['source']}")))
            if task["township_code"] or task["indicator_code"]:
                st.caption(trm("tasks.detail.links",
                              township=(task["township_en"] if lg == "en" else task["township_zh"]) or "—",
                              indicator=(task["indicator_en"] if lg == "en" else task["indicator_zh"]) or "—"))
            if task["detail"]:
                st.markdown(md(task["detail"]))
            st.markdown(f"**{tr('tasks.detail.history')}**")
            if not notes:
                st.caption(tr("tasks.detail.no_history"))
            for n in notes:
                line = tr("tasks.detail.note_line", at=n["at"].strftime("%Y-%m-%d %H:%M"), user=n["username"] or "",
                          state=tr(f"tasks.status.{n['state_after']}"))
                st.markdown(f"- {md(line)}：{md(n['note'])}" if lg == "zh" else f"- {md(line)}: {md(n['note'])}")
                if n["file_name"]:
                    left, right = st.columns([3, 1], vertical_alignment="center")
                    left.caption(trm("tasks.detail.file", name=n["file_name"], size=max(1, round((n["file_size"] or 0) / 1024))))
                    with right:
                        # Always an attachment of type octet-stream: the browser saves it and never renders it.
                        st.download_button(tr("tasks.download"), lambda pid=n["id"]: (data_tasks.evidence(actor, pid) or ("", b""))[1],
                                           file_name=n["file_name"], mime="application/octet-stream",
                                           key=f"evidence_{n['id']}", icon=":material/download:", on_click="ignore")

            if access.allowed(actor, "task.progress", task["department_id"]) and task["state"] != tk.DONE:
                st.markdown(f"**{tr('tasks.progress.heading')}**")
                form = fresh("progress")
                with st.form(f"task_progress_{task['id']}"):
                    note = st.text_area(tr("tasks.field.note"), max_chars=tk.NOTE_MAX, key=f"{form}_note_{task['id']}")
                    upload = st.file_uploader(tr("tasks.field.file"), key=f"{form}_file_{task['id']}",
                                              help=tr("tasks.progress.help",
                                                      max_mb=round(tk.EVIDENCE_MAX_BYTES / 1024 / 1024)))
                    st.caption(tr("tasks.progress.help", max_mb=round(tk.EVIDENCE_MAX_BYTES / 1024 / 1024)))
                    done = st.checkbox(tr("tasks.field.done"), key=f"{form}_done_{task['id']}")
                    if st.form_submit_button(tr("tasks.progress.submit"), type="primary"):
                        ok, result = data_tasks.run_write(
                            tk.add_progress, actor, task["id"], note=note, done=done,
                            file_name=upload.name if upload else None, file_bytes=upload.getvalue() if upload else None)
                        if ok:
                            forget("progress")
                            st.session_state["tasks_flash"] = tr("tasks.progress.saved")
                            st.rerun()
                        st.error(md(result))
            elif task["state"] == tk.DONE and can_create:
                with st.expander(tr("tasks.reopen.heading")):
                    with st.form(f"task_reopen_{task['id']}"):
                        reason = st.text_input(tr("tasks.field.reason"), key=f"reopen_reason_{task['id']}")
                        if st.form_submit_button(tr("tasks.reopen.submit")):
                            ok, result = data_tasks.run_write(tk.reopen_task, actor, task["id"], reason=reason)
                            if ok:
                                st.session_state["tasks_flash"] = tr("tasks.reopen.saved")
                                st.rerun()
                            st.error(md(result))
