"""Steering tasks (督办): a title, an owner department (and a township where it applies), a deadline,
a linked indicator; created by the office or a leader — from scratch, from an early warning or from a
meeting decision — and reported on by the owner department's liaison (progress notes with evidence).

Status shown: 未开始 / 进行中 / 已完成 stored; 逾期 computed from the deadline (an unfinished task
whose deadline has passed), so it never needs a nightly job and can never be stale.

Every write takes an Actor, checks the role first (a liaison only for their own department's task),
validates before changing anything (InvalidInput: a catalogue key the page shows), and writes its
audit row in the same transaction. Evidence files are kept as they came (bytes + sha256), never
opened, parsed or run here; downloads always go out as attachments.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.access import Actor, PermissionDenied, allowed, require
from data_access.admin import InvalidInput, clean_text, row_or_refuse
from data_access.audit import record
from data_access.db import bump_data_version, session_scope

NOT_STARTED, IN_PROGRESS, DONE, OVERDUE = "not_started", "in_progress", "done", "overdue"
STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, OVERDUE)
TITLE_MAX = 200
NOTE_MAX = 2000
DETAIL_MAX = 2000
# Evidence: what an office hands over as proof of work (scans, photos, documents, sheets), checked
# by content as well as by name; nothing a browser or the server would run (no html/svg/js/exe).
EVIDENCE_MAX_BYTES = int(float(os.environ.get("TASK_EVIDENCE_MAX_MB", "10")) * 1024 * 1024)
EVIDENCE_TYPES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".wps": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
    ".et": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
    ".txt": (),  # any text that decodes as UTF-8 or GBK
}


@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    detail: str | None
    department_id: int
    department_code: str
    department_zh: str
    department_en: str
    township_code: str | None
    township_zh: str | None
    township_en: str | None
    indicator_code: str | None
    indicator_zh: str | None
    indicator_en: str | None
    deadline: dt.date
    state: str
    status: str
    days_overdue: int
    source: str
    decision_id: int | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    progress_count: int


def status_of(state: str, deadline: dt.date, today: dt.date) -> str:
    """What a task shows: done stays done; anything unfinished after its deadline is overdue."""
    if state == DONE:
        return DONE
    if deadline < today:
        return OVERDUE
    return state if state in (NOT_STARTED, IN_PROGRESS) else NOT_STARTED


# ---------------------------------------------------------------- permission helpers

def _require_department(actor: Actor | None, action: str, department_id: int) -> None:
    """require() with the task's owner department; a liaison of another department is told so."""
    try:
        require(actor, action, department_id)
    except PermissionDenied as exc:
        if exc.key == "access.other_department":
            raise PermissionDenied(action, "access.other_department_task") from None
        raise


def may_read(actor: Actor | None, department_id: int) -> bool:
    return allowed(actor, "task.read", department_id)


# ---------------------------------------------------------------- writes

def _clean_deadline(deadline: dt.date | None, today: dt.date, new: bool) -> dt.date:
    if not isinstance(deadline, dt.date):
        raise InvalidInput("tasks.err.deadline_missing")
    if new and deadline < today:
        raise InvalidInput("tasks.err.deadline_past", date=deadline.isoformat())
    if deadline > today + dt.timedelta(days=3 * 366):
        raise InvalidInput("tasks.err.deadline_far", date=deadline.isoformat())
    return deadline


def _check_links(s: Session, department_id: int | None, township_id: int | None,
                 indicator_id: int | None) -> tuple[m.Department, m.Region | None, m.Indicator | None]:
    if department_id is None:
        raise InvalidInput("tasks.err.department_missing")
    dept = row_or_refuse(s, m.Department, department_id)
    town = None
    if township_id is not None:
        town = row_or_refuse(s, m.Region, township_id)
        if town.level not in ("township", "village"):
            raise InvalidInput("admin.err.not_found")
    ind = row_or_refuse(s, m.Indicator, indicator_id) if indicator_id is not None else None
    return dept, town, ind


def _task_dict(task: m.Task, dept: m.Department, town: m.Region | None, ind: m.Indicator | None) -> dict:
    return dict(title=task.title, department=dept.code, township=town.code if town else None,
                indicator=ind.code if ind else None, deadline=task.deadline.isoformat(), source=task.source,
                source_ref=task.source_ref, decision_id=task.decision_id)


def _new_task(s: Session, actor: Actor, *, title: str, department_id: int | None, deadline: dt.date | None,
              township_id: int | None, indicator_id: int | None, detail: str | None, source: str,
              source_ref: str | None, decision_id: int | None, today: dt.date) -> m.Task:
    """Validated insert + audit row in the caller's transaction (the caller has checked the role)."""
    title_c = clean_text(title, "tasks.field.title", max_len=TITLE_MAX)
    detail_c = clean_text(detail, "tasks.field.detail", max_len=DETAIL_MAX, required=False)
    deadline_c = _clean_deadline(deadline, today, new=True)
    dept, town, ind = _check_links(s, department_id, township_id, indicator_id)
    task = m.Task(title=title_c, detail=detail_c, owner_department_id=dept.id, township_id=town.id if town else None,
                  indicator_id=ind.id if ind else None, deadline=deadline_c, state=NOT_STARTED, source=source,
                  source_ref=source_ref, decision_id=decision_id, created_by=actor.user_id,
                  created_at=dt.datetime.now())
    s.add(task)
    s.flush()
    record(s, actor, "task.create", "task", task.id, after=_task_dict(task, dept, town, ind))
    bump_data_version(s)
    return task


def create_task(engine: Engine, actor: Actor | None, *, title: str, department_id: int | None,
                deadline: dt.date | None, township_id: int | None = None, indicator_id: int | None = None,
                detail: str | None = None, today: dt.date | None = None) -> int:
    """A task from scratch (admin or leader)."""
    require(actor, "task.create")
    with session_scope(engine) as s:
        return _new_task(s, actor, title=title, department_id=department_id, deadline=deadline,
                         township_id=township_id, indicator_id=indicator_id, detail=detail, source="manual",
                         source_ref=None, decision_id=None, today=today or dt.date.today()).id


def warning_ref(kind: str, region_code: str, indicator_code: str, period_code: str) -> str:
    return f"{kind}|{region_code}|{indicator_code}|{period_code}"


def task_for_warning(session: Session, ref: str) -> int | None:
    """The task already made from this warning, if any (the page then links to it)."""
    return session.scalar(select(m.Task.id).where(m.Task.source == "warning", m.Task.source_ref == ref)
                          .order_by(m.Task.id))


def warning_defaults(session: Session, *, kind: str, region_code: str, indicator_code: str, period_code: str,
                     lang: str = "zh") -> dict | None:
    """What a task made from this warning starts with: the indicator's owner department, the
    township, a title without any figure in it (a title may reach the meeting screen, figures
    there must go through suppression), the warning's reason as the detail."""
    from data_access import indicators as ix
    from data_access import warnings as warn
    from i18n import name_of, t

    period = ix.period_by_code(session, period_code)
    region = ix.region_by_code(session, region_code)
    ind = session.scalar(select(m.Indicator).where(m.Indicator.code == indicator_code))
    if period is None or region is None or ind is None or kind not in warn.KINDS:
        return None
    flag = next((f for f in warn.early_warnings(session, period)
                 if f.kind == kind and f.region_code == region_code and f.indicator == indicator_code), None)
    title = t("tasks.warning_title", lang, area=name_of(region, lang), indicator=name_of(ind, lang),
              kind=t(f"warnings.kind.{kind}", lang).split(" ", 1)[-1])  # the label without its symbol
    detail = t("tasks.warning_detail", lang, period=period_code, reason=flag.reason(lang) if flag else "")
    return dict(title=title[:TITLE_MAX], detail=detail, department_id=ind.owner_department_id,
                township_id=region.id if region.level in ("township", "village") else None,
                indicator_id=ind.id, ref=warning_ref(kind, region_code, indicator_code, period_code),
                exists=task_for_warning(session, warning_ref(kind, region_code, indicator_code, period_code)))


def create_task_from_warning(engine: Engine, actor: Actor | None, *, kind: str, region_code: str,
                             indicator_code: str, period_code: str, title: str, department_id: int | None,
                             deadline: dt.date | None, detail: str | None = None,
                             today: dt.date | None = None) -> int:
    """"Create a task from this warning": linked to the warning's township and indicator, once per warning."""
    require(actor, "task.create")
    with session_scope(engine) as s:
        base = warning_defaults(s, kind=kind, region_code=region_code, indicator_code=indicator_code,
                                period_code=period_code)
        if base is None:
            raise InvalidInput("tasks.err.warning_unknown")
        if base["exists"]:
            raise InvalidInput("tasks.err.warning_has_task", id=base["exists"])
        return _new_task(s, actor, title=title, department_id=department_id, deadline=deadline,
                         township_id=base["township_id"], indicator_id=base["indicator_id"],
                         detail=detail if detail is not None else base["detail"], source="warning",
                         source_ref=base["ref"], decision_id=None, today=today or dt.date.today()).id


SAFE_NAME = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._()（）\-]+")


def safe_file_name(name: str) -> str:
    """The evidence file's name as stored and offered back: no folders, no control or odd characters,
    no leading dots; the extension kept (it was checked)."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    stem, ext = os.path.splitext(base)
    stem = SAFE_NAME.sub("_", stem).strip("._ ")[:120] or "evidence"
    return f"{stem}{ext.lower()}"


def check_evidence(name: str, data: bytes) -> str:
    """The file's safe name, or InvalidInput saying why it is refused (type, size, content)."""
    ext = os.path.splitext(name or "")[1].lower()
    if ext not in EVIDENCE_TYPES:
        raise InvalidInput("tasks.err.file_type", ext=ext or "—", allowed=" ".join(sorted(EVIDENCE_TYPES)))
    if not data:
        raise InvalidInput("tasks.err.file_empty")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise InvalidInput("tasks.err.file_too_big", max_mb=round(EVIDENCE_MAX_BYTES / 1024 / 1024))
    magics = EVIDENCE_TYPES[ext]
    if magics and not any(data.startswith(x) for x in magics):
        raise InvalidInput("tasks.err.file_content", ext=ext)
    if ext == ".txt":
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput("tasks.err.file_content", ext=ext)
        if b"\x00" in data:
            raise InvalidInput("tasks.err.file_content", ext=ext)
    return safe_file_name(name)


def add_progress(engine: Engine, actor: Actor | None, task_id: int, *, note: str, done: bool = False,
                 file_name: str | None = None, file_bytes: bytes | None = None) -> int:
    """A progress note (and optionally one evidence file) on a task; `done` marks the task finished.
    Allowed: admin, leader, and the liaison of the task's owner department."""
    if actor is None:
        raise PermissionDenied("task.progress", "access.signed_out")
    with session_scope(engine) as s:
        task = s.get(m.Task, task_id)
        if task is None:
            require(actor, "task.progress")  # a stranger learns nothing about which ids exist
            raise InvalidInput("admin.err.not_found")
        _require_department(actor, "task.progress", task.owner_department_id)
        note_c = clean_text(note, "tasks.field.note", max_len=NOTE_MAX)
        stored_name = None
        if file_bytes is not None or file_name:
            stored_name = check_evidence(file_name or "", file_bytes or b"")
        before = task.state
        after = DONE if done else (IN_PROGRESS if task.state == NOT_STARTED else task.state)
        row = m.TaskProgress(task_id=task.id, at=dt.datetime.now(), user_id=actor.user_id, username=actor.username,
                             note=note_c, state_after=after, file_name=stored_name,
                             file_content=file_bytes if stored_name else None,
                             file_sha256=hashlib.sha256(file_bytes).hexdigest() if stored_name else None,
                             file_size=len(file_bytes) if stored_name else None)
        s.add(row)
        task.state = after
        if after == DONE and before != DONE:
            task.completed_at = row.at
        s.flush()
        record(s, actor, "task.progress", "task", task.id, before=dict(state=before),
               after=dict(state=after, note=note_c, file=stored_name, sha256=row.file_sha256, size=row.file_size))
        bump_data_version(s)
        return row.id


def reopen_task(engine: Engine, actor: Actor | None, task_id: int, *, reason: str) -> None:
    """A finished task that is not finished after all (admin or leader), with the reason on record."""
    require(actor, "task.create")
    reason_c = clean_text(reason, "tasks.field.reason", max_len=NOTE_MAX)
    with session_scope(engine) as s:
        task = row_or_refuse(s, m.Task, task_id)
        if task.state != DONE:
            raise InvalidInput("tasks.err.not_done")
        has_notes = s.scalar(select(func.count()).select_from(m.TaskProgress)
                             .where(m.TaskProgress.task_id == task.id)) or 0
        task.state = IN_PROGRESS if has_notes else NOT_STARTED
        task.completed_at = None
        s.add(m.TaskProgress(task_id=task.id, at=dt.datetime.now(), user_id=actor.user_id, username=actor.username,
                             note=reason_c, state_after=task.state))
        record(s, actor, "task.reopen", "task", task.id, before=dict(state=DONE),
               after=dict(state=task.state, reason=reason_c))
        bump_data_version(s)


# ---------------------------------------------------------------- reads

def _rows(session: Session, stmt, today: dt.date) -> list[TaskRow]:  # noqa: ANN001
    counts = dict(session.execute(select(m.TaskProgress.task_id, func.count()).group_by(m.TaskProgress.task_id)).all())
    out = []
    for task in session.scalars(stmt):
        dept, town, ind = task.owner, task.township, task.indicator
        status = status_of(task.state, task.deadline, today)
        out.append(TaskRow(
            id=task.id, title=task.title, detail=task.detail, department_id=dept.id, department_code=dept.code,
            department_zh=dept.name_zh, department_en=dept.name_en,
            township_code=town.code if town else None, township_zh=town.name_zh if town else None,
            township_en=town.name_en if town else None,
            indicator_code=ind.code if ind else None, indicator_zh=ind.name_zh if ind else None,
            indicator_en=ind.name_en if ind else None, deadline=task.deadline, state=task.state, status=status,
            days_overdue=(today - task.deadline).days if status == OVERDUE else 0, source=task.source,
            decision_id=task.decision_id, created_at=task.created_at, completed_at=task.completed_at,
            progress_count=counts.get(task.id, 0)))
    return out


def list_tasks(session: Session, *, today: dt.date | None = None, department_id: int | None = None,
               open_only: bool = False) -> list[TaskRow]:
    """Tasks, overdue first, then by deadline. open_only: not yet done."""
    today = today or dt.date.today()
    stmt = select(m.Task)
    if department_id is not None:
        stmt = stmt.where(m.Task.owner_department_id == department_id)
    if open_only:
        stmt = stmt.where(m.Task.state != DONE)
    rows = _rows(session, stmt.order_by(m.Task.deadline, m.Task.id), today)
    order = {OVERDUE: 0, IN_PROGRESS: 1, NOT_STARTED: 2, DONE: 3}
    return sorted(rows, key=lambda r: (order[r.status], r.deadline, r.id))


def tasks_for(session: Session, actor: Actor | None, *, today: dt.date | None = None,
              open_only: bool = False) -> list[TaskRow]:
    """The tasks this actor may see: everything for admin and leaders, the own department's for a liaison."""
    require(actor, "task.read", actor.department_id if actor is not None else None)
    if actor.role == "liaison":
        if actor.department_id is None:
            return []
        return list_tasks(session, today=today, department_id=actor.department_id, open_only=open_only)
    return list_tasks(session, today=today, open_only=open_only)


def overdue(session: Session, today: dt.date | None = None) -> list[TaskRow]:
    """Every overdue task, longest overdue first (overview, 报送情况, meeting mode)."""
    today = today or dt.date.today()
    rows = _rows(session, select(m.Task).where(m.Task.state != DONE, m.Task.deadline < today)
                 .order_by(m.Task.deadline, m.Task.id), today)
    return rows


def overdue_by_department(session: Session, today: dt.date | None = None) -> dict[str, int]:
    """Department code -> number of overdue tasks (only departments that have any)."""
    today = today or dt.date.today()
    return dict(session.execute(
        select(m.Department.code, func.count(m.Task.id)).join(m.Task, m.Task.owner_department_id == m.Department.id)
        .where(m.Task.state != DONE, m.Task.deadline < today).group_by(m.Department.code)).all())


def task_detail(session: Session, actor: Actor | None, task_id: int,
                today: dt.date | None = None) -> tuple[TaskRow, list[dict]] | None:
    """The task and its progress notes (without file bytes), or None when missing or not the actor's to see."""
    task = session.get(m.Task, task_id)
    if task is None or not may_read(actor, task.owner_department_id):
        return None
    row = _rows(session, select(m.Task).where(m.Task.id == task_id), today or dt.date.today())[0]
    notes = [dict(id=p.id, at=p.at, username=p.username, note=p.note, state_after=p.state_after,
                  file_name=p.file_name, file_size=p.file_size, file_sha256=p.file_sha256)
             for p in task.progress]
    return row, notes


def evidence_file(session: Session, actor: Actor | None, progress_id: int) -> tuple[str, bytes] | None:
    """(safe file name, bytes) of a progress note's evidence for someone allowed to see the task."""
    row = session.get(m.TaskProgress, progress_id)
    if row is None or row.file_content is None:
        return None
    if not may_read(actor, row.task.owner_department_id):
        return None
    return safe_file_name(row.file_name or "evidence"), row.file_content


__all__ = ["NOT_STARTED", "IN_PROGRESS", "DONE", "OVERDUE", "STATUSES", "TaskRow", "status_of", "create_task",
           "create_task_from_warning", "warning_defaults", "add_progress", "reopen_task", "list_tasks", "tasks_for",
           "overdue", "overdue_by_department", "task_detail", "evidence_file", "check_evidence"]
