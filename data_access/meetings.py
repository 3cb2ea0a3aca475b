"""Meeting records (联席会议 / 领导小组会议): date, kind, departments present, topics and decisions;
each decision becomes a task in one step, and the next briefing reports on them
("上次会议决定事项落实情况", followup()).

Writes check the role first (admin or leader), validate before changing anything and write their
audit row in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor, require
from data_access.admin import InvalidInput, clean_text, row_or_refuse
from data_access.audit import record
from data_access.db import bump_data_version, session_scope

KINDS = m.MEETING_KINDS
MAX_DECISIONS = 30
DECISION_MAX = 500
TOPICS_MAX = 4000


def parse_decisions(text: str) -> list[str]:
    """One decision per line; blank lines and the numbering a typist adds ("1.", "2、", "-", "•") dropped."""
    items = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-•*·").strip()
        head = line.split(".", 1)[0].split("、", 1)[0].split("．", 1)[0]
        if head.isdigit() and len(head) <= 2 and len(line) > len(head) + 1:
            line = line[len(head) + 1:].strip()
        if line:
            items.append(line)
    return items


def record_meeting(engine: Engine, actor: Actor | None, *, held_on: dt.date | None, kind: str,
                   department_codes: list[str], topics: str | None, decisions: list[str],
                   today: dt.date | None = None) -> int:
    """Record a meeting that took place (not one planned: its date is today or earlier)."""
    require(actor, "meeting.record")
    today = today or dt.date.today()
    if not isinstance(held_on, dt.date):
        raise InvalidInput("meetings.err.date_missing")
    if held_on > today:
        raise InvalidInput("meetings.err.date_future", date=held_on.isoformat())
    if kind not in KINDS:
        raise InvalidInput("meetings.err.kind")
    topics_c = clean_text(topics, "meetings.field.topics", max_len=TOPICS_MAX, required=False)
    clean = [d.strip() for d in decisions if d and d.strip()]
    if not clean and not topics_c:
        raise InvalidInput("meetings.err.empty")
    if len(clean) > MAX_DECISIONS:
        raise InvalidInput("meetings.err.too_many", n=MAX_DECISIONS)
    for number, item in enumerate(clean, start=1):
        if len(item) > DECISION_MAX:
            raise InvalidInput("meetings.err.decision_too_long", row=number, n=DECISION_MAX)
    with session_scope(engine) as s:
        known = set(s.scalars(select(m.Department.code)))
        present = list(dict.fromkeys(c for c in department_codes if c))
        unknown = [c for c in present if c not in known]
        if unknown:
            raise InvalidInput("meetings.err.department", code=", ".join(unknown))
        meeting = m.Meeting(held_on=held_on, kind=kind, departments_present=present, topics=topics_c,
                            created_by=actor.user_id, created_at=dt.datetime.now())
        s.add(meeting)
        s.flush()
        for seq, text in enumerate(clean, start=1):
            s.add(m.MeetingDecision(meeting_id=meeting.id, seq=seq, text=text))
        record(s, actor, "meeting.record", "meeting", meeting.id,
               after=dict(held_on=held_on.isoformat(), kind=kind, departments=present, topics=topics_c,
                          decisions=clean))
        bump_data_version(s)
        return meeting.id


def decision_to_task(engine: Engine, actor: Actor | None, decision_id: int, *, department_id: int | None,
                     deadline: dt.date | None, title: str | None = None, township_id: int | None = None,
                     indicator_id: int | None = None, today: dt.date | None = None) -> int:
    """The decision as a task in one step (its text is the title unless another is given); once per decision."""
    require(actor, "task.create")
    with session_scope(engine) as s:
        decision = row_or_refuse(s, m.MeetingDecision, decision_id)
        existing = s.scalar(select(m.Task.id).where(m.Task.decision_id == decision.id))
        if existing is not None:
            raise InvalidInput("meetings.err.decision_has_task", id=existing)
        meeting = decision.meeting
        text = (title or "").strip() or decision.text
        task = tk._new_task(
            s, actor, title=text[:tk.TITLE_MAX], department_id=department_id, deadline=deadline,
            township_id=township_id, indicator_id=indicator_id,
            detail=decision.text if len(decision.text) > tk.TITLE_MAX or text != decision.text else None,
            source="meeting", source_ref=f"meeting:{meeting.id}", decision_id=decision.id,
            today=today or dt.date.today())
        return task.id


# ---------------------------------------------------------------- reads

def list_meetings(session: Session) -> list[dict]:
    """Meetings newest first, each with its decisions and the task each became (if any)."""
    tasks = {t.decision_id: t for t in session.scalars(select(m.Task).where(m.Task.decision_id.is_not(None)))}
    names = {d.code: d for d in session.scalars(select(m.Department))}
    out = []
    for meeting in session.scalars(select(m.Meeting).order_by(m.Meeting.held_on.desc(), m.Meeting.id.desc())):
        present = [names[c] for c in (meeting.departments_present or []) if c in names]
        out.append(dict(
            id=meeting.id, held_on=meeting.held_on, kind=meeting.kind, topics=meeting.topics,
            departments=[dict(code=d.code, name_zh=d.name_zh, name_en=d.name_en) for d in present],
            decisions=[dict(id=d.id, seq=d.seq, text=d.text,
                            task_id=tasks[d.id].id if d.id in tasks else None) for d in meeting.decisions]))
    return out


@dataclass(frozen=True)
class FollowUp:
    """One decision of the last meeting and how far its task has got."""

    seq: int
    decision: str
    task_id: int | None
    task_title: str | None
    department_zh: str | None
    department_en: str | None
    deadline: dt.date | None
    status: str | None          # tasks.STATUSES, None when no task was made of the decision


def last_meeting(session: Session, before: dt.date) -> m.Meeting | None:
    """The most recent meeting held on or before the day (the one whose decisions a briefing follows up)."""
    return session.scalar(select(m.Meeting).where(m.Meeting.held_on <= before)
                          .order_by(m.Meeting.held_on.desc(), m.Meeting.id.desc()))


def followup(session: Session, today: dt.date) -> tuple[m.Meeting | None, list[FollowUp]]:
    """The last meeting and each decision with its task, owner and status (as of today). Text and
    statuses only: nothing here is a count about people, so the display account may see it."""
    meeting = last_meeting(session, today)
    if meeting is None:
        return None, []
    tasks = {t.decision_id: t for t in session.scalars(
        select(m.Task).join(m.MeetingDecision, m.MeetingDecision.id == m.Task.decision_id)
        .where(m.MeetingDecision.meeting_id == meeting.id))}
    out = []
    for d in meeting.decisions:
        t = tasks.get(d.id)
        out.append(FollowUp(d.seq, d.text, t.id if t else None, t.title if t else None,
                            t.owner.name_zh if t else None, t.owner.name_en if t else None,
                            t.deadline if t else None,
                            tk.status_of(t.state, t.deadline, today) if t else None))
    return meeting, out
