"""Steering follow-up widgets other pages call, so their edits stay one line each: the liaison's
open tasks and the overdue list on the overview, the "create a task from this warning" panel, the
comments panel of the indicator and township pages, the task form shared by several pages."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import access
from data_access import comments as cm
from data_access import tasks as tk
from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from ui import data, data_tasks
from ui.auth import current_actor
from ui.state import lang, md, name, tr, trm

TASKS_PAGE = "pages/tasks.py"
# status -> (text colour, background, the indicator status whose colours a compact list uses)
STATUS_STYLE = {tk.OVERDUE: ("#b42318", "#fee2e2", BEHIND), tk.IN_PROGRESS: ("#9a6700", "#fef3c7", NEAR),
                tk.NOT_STARTED: ("#57606a", "#f1f5f9", NO_DATA), tk.DONE: ("#1a7f37", "#dcfce7", MET)}
SYMBOL = {tk.OVERDUE: "✖", tk.IN_PROGRESS: "▲", tk.NOT_STARTED: "…", tk.DONE: "✔"}


def fresh(form: str) -> str:
    """The key prefix of a form's widgets: a saved form gets new keys (forget), so it shows empty
    again; a refused one keeps what was typed, to be corrected."""
    generation = st.session_state.get(f"_form_generation_{form}", 0)
    return form if not generation else f"{form}~{generation}"


def forget(form: str) -> None:
    """Start the form afresh on the next run (Streamlit keeps a widget's value while its key lives)."""
    st.session_state[f"_form_generation_{form}"] = st.session_state.get(f"_form_generation_{form}", 0) + 1


def status_text(row: dict) -> str:
    """'✖ 逾期 12 天' / '▲ 进行中': symbol and word, readable without colour."""
    status = row["status"]
    text = f"{SYMBOL[status]} {tr('tasks.status.' + status)}"
    if row["status"] == tk.OVERDUE and row.get("days_overdue"):
        text = f"{SYMBOL[tk.OVERDUE]} {tr('tasks.overdue_days', days=row['days_overdue'])}"
    return text


def task_form_fields(version: int, key: str, *, title: str = "", department_id: int | None = None,
                     township_id: int | None = None, indicator_id: int | None = None, detail: str = "",
                     links: bool = True) -> dict:
    """The inputs of a new task inside the caller's st.form; returns create_task's keyword arguments."""
    c = data_tasks.choices(version)
    title_v = st.text_input(tr("tasks.field.title"), value=title, max_chars=tk.TITLE_MAX, key=f"{key}_title")
    left, right = st.columns(2)
    depts = {d["id"]: d for d in c["departments"]}
    dept_options = [None] + list(depts)
    dept = left.selectbox(tr("tasks.field.department"), dept_options,
                          index=dept_options.index(department_id) if department_id in depts else 0,
                          format_func=lambda i: tr("tasks.none_chosen") if i is None else name(depts[i]),
                          key=f"{key}_dept")
    deadline = right.date_input(tr("tasks.field.deadline"), value=dt.date.today() + dt.timedelta(days=30),
                                min_value=dt.date.today(), key=f"{key}_deadline")
    out = dict(title=title_v, department_id=dept, deadline=deadline if isinstance(deadline, dt.date) else None)
    if links:
        towns = {t["id"]: t for t in c["townships"]}
        inds = {i["id"]: i for i in c["indicators"]}
        town_options, ind_options = [None] + list(towns), [None] + list(inds)
        left, right = st.columns(2)
        out["township_id"] = left.selectbox(
            tr("tasks.field.township"), town_options,
            index=town_options.index(township_id) if township_id in towns else 0,
            format_func=lambda i: tr("tasks.none_chosen") if i is None else name(towns[i]), key=f"{key}_town")
        out["indicator_id"] = right.selectbox(
            tr("tasks.field.indicator"), ind_options,
            index=ind_options.index(indicator_id) if indicator_id in inds else 0,
            format_func=lambda i: tr("tasks.none_chosen") if i is None else name(inds[i]), key=f"{key}_ind")
        out["detail"] = st.text_area(tr("tasks.field.detail"), value=detail, max_chars=tk.DETAIL_MAX,
                                     key=f"{key}_detail", height=90)
    return out


# ---------------------------------------------------------------- overview (pages/home.py)

def liaison_block() -> None:
    """A liaison's department's unfinished tasks, first thing after signing in."""
    actor = current_actor()
    if actor is None or actor.role != "liaison":
        return
    rows = data_tasks.tasks(data.version(), actor, open_only=True)
    late = [r for r in rows if r["status"] == tk.OVERDUE]
    with st.container(border=True, key="liaison_tasks"):
        if not rows:
            st.markdown(tr("tasks.home.liaison_none"))
            return
        st.markdown(f"**{tr('tasks.home.liaison', open=len(rows), overdue=len(late))}**")
        for r in rows[:6]:
            st.markdown(f"- {md(r['title'])} — {r['deadline'].isoformat()} · {status_text(r)}")
        st.page_link(TASKS_PAGE, label=tr("tasks.home.open"), icon=":material/task_alt:")


def overdue_block() -> None:
    """Overdue tasks in the overview's "needs attention" section (leaders and the office)."""
    actor = current_actor()
    if actor is None or actor.role == "liaison" or not access.allowed(actor, "task.read"):
        return
    rows = data_tasks.overdue(data.version(), dt.date.today())
    st.markdown(f"**{tr('tasks.home.overdue')}**")
    if not rows:
        st.success(tr("tasks.home.overdue_none"))
        return
    lg = lang()
    for r in rows[:8]:
        st.markdown("- :red[" + trm("tasks.home.overdue_line", title=r["title"],
                                   department=r["department_en"] if lg == "en" else r["department_zh"],
                                   deadline=r["deadline"].isoformat(), days=r["days_overdue"]) + "]")
    st.page_link(TASKS_PAGE, label=tr("tasks.home.open"), icon=":material/task_alt:")


# ---------------------------------------------------------------- warnings page

def warning_task_panel(flags: list[dict], period: str) -> None:
    """"Create a task from this warning" for leaders and the office."""
    actor = current_actor()
    if not flags or not access.allowed(actor, "task.create"):
        return
    version = data.version()
    lg = lang()
    with st.expander(tr("tasks.from_warning.heading"), icon=":material/add_task:", expanded=False):
        refs = {tk.warning_ref(f["kind"], f["region_code"], f["indicator"], period): f for f in flags}
        pick = st.selectbox(tr("tasks.from_warning.pick"), list(refs), key="warn_task_pick",
                            format_func=lambda r: " · ".join((
                                refs[r]["region_en"] if lg == "en" else refs[r]["region_zh"],
                                refs[r]["indicator_en"] if lg == "en" else refs[r]["indicator_zh"],
                                tr(f"warnings.kind.{refs[r]['kind']}"))))
        f = refs[pick]
        base = data_tasks.warning_defaults(version, f["kind"], f["region_code"], f["indicator"], period)
        if base is None:
            st.error(tr("tasks.err.warning_unknown"))
            return
        if base["exists"]:
            st.info(tr("tasks.from_warning.exists", id=base["exists"]))
            st.page_link(TASKS_PAGE, label=tr("tasks.from_warning.open", id=base["exists"]),
                          icon=":material/task_alt:", query_params={"task": str(base["exists"])})
            return
        st.caption(md(base["detail"]))
        # Keyed by the warning: choosing another warning starts from its own defaults.
        slot = "warn_task_" + "".join(ch if ch.isalnum() else "_" for ch in pick)
        with st.form(slot):
            fields = task_form_fields(version, fresh(slot), title=base["title"], department_id=base["department_id"],
                                      links=False)
            if st.form_submit_button(tr("tasks.new.submit"), type="primary"):
                ok, result = data_tasks.run_write(
                    tk.create_task_from_warning, actor, kind=f["kind"], region_code=f["region_code"],
                    indicator_code=f["indicator"], period_code=period, **fields)
                if ok:
                    forget(slot)
                    st.session_state["warn_task_flash"] = tr("tasks.new.saved", id=result)
                    st.rerun()
                st.error(md(result))
    if st.session_state.get("warn_task_flash"):
        st.success(st.session_state.pop("warn_task_flash"))


# ---------------------------------------------------------------- comments (indicator and township pages)

def comments_panel(period: str, *, indicator: dict | None = None, area: dict | None = None) -> None:
    """Comments on the quarter's figures: of one indicator (all areas) or of one township (all
    indicators); leaders and the office add one, and withdraw their own."""
    actor = current_actor()
    version = data.version()
    lg = lang()
    rows = data_tasks.comments(version, period, indicator["code"] if indicator else None,
                               (area["code"],) if area else None)
    st.markdown(f"#### {tr('comments.heading')}")
    if not rows:
        st.caption(tr("comments.none"))
    for c in rows:
        text = trm("comments.line", area=c["region_en"] if lg == "en" else c["region_zh"],
                  indicator=c["indicator_en"] if lg == "en" else c["indicator_zh"], text=c["text"],
                  user=c["username"] or "", at=c["created_at"].strftime("%Y-%m-%d"))
        mine = actor is not None and (actor.role == "admin" or c["user_id"] == actor.user_id)
        if mine and access.allowed(actor, "comment.write"):
            left, right = st.columns([6, 1], vertical_alignment="center")
            left.markdown(f"- {text}")
            if right.button(tr("comments.withdraw"), key=f"comment_withdraw_{c['id']}"):
                ok, result = data_tasks.run_write(cm.withdraw_comment, actor, c["id"])
                st.session_state["comment_flash"] = tr("comments.withdrawn") if ok else result
                st.session_state["comment_flash_ok"] = ok
                st.rerun()
        else:
            st.markdown(f"- {text}")
    if access.allowed(actor, "comment.write"):
        c = data_tasks.choices(version)
        with st.expander(tr("comments.add"), icon=":material/add_comment:"):
            form = fresh("comment")
            with st.form("comment_add"):
                if indicator is not None:
                    areas = ([c["root"]] if c["root"] else []) + c["townships"]
                    codes = [a["code"] for a in areas]
                    names = {a["code"]: name(a) for a in areas}
                    region = st.selectbox(tr("comments.area"), codes, format_func=names.get, key=f"{form}_area")
                    ind_code = indicator["code"]
                else:
                    codes = [i["code"] for i in c["indicators"]]
                    names = {i["code"]: name(i) for i in c["indicators"]}
                    ind_code = st.selectbox(tr("comments.indicator"), codes, format_func=names.get,
                                            key=f"{form}_indicator")
                    region = area["code"]
                text = st.text_input(tr("comments.field.text"), max_chars=cm.TEXT_MAX, key=f"{form}_text",
                                     help=tr("comments.help"))
                if st.form_submit_button(tr("comments.add"), type="primary"):
                    ok, result = data_tasks.run_write(cm.add_comment, actor, indicator_code=ind_code,
                                                      region_code=region, period_code=period, text=text)
                    if ok:
                        forget("comment")
                        st.session_state["comment_flash"], st.session_state["comment_flash_ok"] = tr("comments.saved"), ok
                        st.rerun()
                    st.error(md(result))  # the typed text stays, to be corrected
    if st.session_state.get("comment_flash"):
        message = st.session_state.pop("comment_flash")
        (st.success if st.session_state.pop("comment_flash_ok", True) else st.error)(message)
