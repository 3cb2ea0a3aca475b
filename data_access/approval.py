"""Quarter sign-off (季度审核) and the lock it puts on a quarter's figures.

The county office reviews a quarter that has ended -- which departments reported on time, late or
not at all, and the open early warnings -- and approves it. From then on the quarter's figures are
已审核 and locked: data_access.ingest refuses every upload for it (the upload page, the CLI, anything
that goes through prepare()/commit()), saying who approved it and when, and changes nothing.
Unlocking needs a written reason; approving, unlocking and every refused upload are in the audit trail.

The lock is checked inside the ingest transaction (commit), not only when the file is checked, so an
approval that lands between a liaison's preview and their confirm still wins. On PostgreSQL approving
takes the period row FOR UPDATE and a commit takes it FOR SHARE: the two never interleave.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.access import Actor, require
from data_access.admin import InvalidInput, clean_text
from data_access.audit import record
from data_access.db import bump_data_version, session_scope

APPROVED, PENDING = "approved", "pending"
NOTE_MAX = 500
REASON_MIN = 4      # "更正" is not a reason; "卫健委更正北山乡数据" is


@dataclass(frozen=True)
class Lock:
    """An approved quarter: who approved it and when."""

    period: str
    approved_by: str
    approved_at: dt.datetime
    note: str | None = None

    def values(self) -> dict[str, str]:
        """The placeholders of the refusal messages (ingest.err.period_locked, ingest.result.locked)."""
        return dict(period=self.period, who=self.approved_by, at=f"{self.approved_at:%Y-%m-%d %H:%M}")


def _latest(session: Session, period_id: int) -> m.QuarterApproval | None:
    return session.scalar(select(m.QuarterApproval).where(m.QuarterApproval.period_id == period_id)
                          .order_by(m.QuarterApproval.id.desc()).limit(1))


def _latest_rows(session: Session) -> dict[int, m.QuarterApproval]:
    """period id -> its latest approval row (approved, or approved and since unlocked)."""
    latest: dict[int, m.QuarterApproval] = {}
    for row in session.scalars(select(m.QuarterApproval).order_by(m.QuarterApproval.id)):
        latest[row.period_id] = row
    return latest


def lock_of(session: Session, period_id: int, hold: bool = False) -> Lock | None:
    """The lock on a quarter, or None when it may be written. hold=True (inside a write) takes the
    period row FOR SHARE on PostgreSQL, so an approval cannot commit in the middle of the write."""
    query = select(m.Period.code).where(m.Period.id == period_id)
    if hold:
        query = query.with_for_update(read=True)
    code = session.scalar(query)
    row = _latest(session, period_id)
    if code is None or row is None or row.unlocked_at is not None:
        return None
    return Lock(code, row.approved_by_name, row.approved_at, row.note)


def statuses(session: Session) -> dict[str, str]:
    """period code -> approved / pending, for every quarter (the period pickers show it)."""
    latest = _latest_rows(session)
    out = {}
    for pid, code in session.execute(select(m.Period.id, m.Period.code)):
        row = latest.get(pid)
        out[code] = APPROVED if row is not None and row.unlocked_at is None else PENDING
    return out


def locked_quarters(session: Session) -> list[tuple[str, dt.date]]:
    """(code, end date) of every approved quarter, oldest first: the figures a later write must not move."""
    locked = [pid for pid, row in _latest_rows(session).items() if row.unlocked_at is None]
    if not locked:
        return []
    return [(code, end) for code, end in session.execute(
        select(m.Period.code, m.Period.end_date).where(m.Period.id.in_(locked)).order_by(m.Period.end_date))]


def history(session: Session, period_code: str) -> list[dict[str, Any]]:
    """Every approval of a quarter and its unlock, newest first."""
    rows = session.scalars(select(m.QuarterApproval).join(m.Period).where(m.Period.code == period_code)
                           .order_by(m.QuarterApproval.id.desc()))
    return [dict(approved_by=r.approved_by_name, approved_at=r.approved_at, note=r.note, review=r.review,
                 unlocked_by=r.unlocked_by_name, unlocked_at=r.unlocked_at, unlock_reason=r.unlock_reason)
            for r in rows]


def review(session: Session, period_code: str, today: dt.date | None = None) -> dict[str, Any]:
    """What the county office looks at before approving: each department's report (on time / late /
    missing) and the quarter's open early warnings."""
    from data_access import indicators, warnings

    period = _period(session, period_code)
    reports = [asdict(r) for r in indicators.department_reports(session, period, today)]
    flags = warnings.early_warnings(session, period)
    counts = {state: sum(r["state"] == state for r in reports) for state in
              (indicators.ON_TIME, indicators.LATE, indicators.MISSING, indicators.NOT_DUE)}
    return dict(period=period.code, ended=period.end_date < (today or dt.date.today()), reports=reports,
                report_counts=counts, warnings=flags, warning_counts=warnings.count_by_kind(flags))


def _period(session: Session, period_code: str) -> m.Period:
    period = session.scalar(select(m.Period).where(m.Period.code == period_code))
    if period is None:
        raise InvalidInput("approval.err.unknown_period", period=period_code)
    return period


def _who(session: Session, actor: Actor) -> str:
    user = session.get(m.User, actor.user_id) if actor.user_id else None
    return ((user.display_name if user else None) or actor.username)[:64]


def approve(engine: Engine, actor: Actor | None, period_code: str, note: str | None = None,
            today: dt.date | None = None) -> None:
    """Approve (审核通过) a quarter that has ended: its figures are locked from now on."""
    require(actor, "quarter.approve")
    assert actor is not None
    note = clean_text(note, "approval.field.note", NOTE_MAX, required=False)
    today = today or dt.date.today()
    with session_scope(engine) as s:
        period = _period(s, period_code)
        s.execute(select(m.Period.id).where(m.Period.id == period.id).with_for_update())
        if period.end_date >= today:
            raise InvalidInput("approval.err.not_ended", period=period.code, end=period.end_date.isoformat())
        lock = lock_of(s, period.id)
        if lock is not None:
            raise InvalidInput("approval.err.already", **lock.values())
        seen = review(s, period.code, today)
        summary = dict(reports=seen["report_counts"], warnings=len(seen["warnings"]),
                       missing=[r["code"] for r in seen["reports"] if r["state"] == "missing"])
        row = m.QuarterApproval(period_id=period.id, approved_by=actor.user_id, approved_by_name=_who(s, actor),
                                approved_at=dt.datetime.now().replace(microsecond=0), note=note, review=summary)
        s.add(row)
        s.flush()
        record(s, actor, "quarter.approve", "period", period.code, before=dict(status=PENDING),
               after=dict(status=APPROVED, approval_id=row.id, **summary), detail=note)
        bump_data_version(s)


def unlock(engine: Engine, actor: Actor | None, period_code: str, reason: str) -> None:
    """Unlock an approved quarter (e.g. a department must correct a figure). The reason is required."""
    require(actor, "quarter.unlock")
    assert actor is not None
    reason = clean_text(reason, "approval.field.reason", NOTE_MAX)
    assert reason is not None
    if len(reason) < REASON_MIN:
        raise InvalidInput("approval.err.reason_short", min=REASON_MIN)
    with session_scope(engine) as s:
        period = _period(s, period_code)
        s.execute(select(m.Period.id).where(m.Period.id == period.id).with_for_update())
        row = _latest(s, period.id)
        if row is None or row.unlocked_at is not None:
            raise InvalidInput("approval.err.not_locked", period=period.code)
        row.unlocked_by = actor.user_id
        row.unlocked_by_name = _who(s, actor)
        row.unlocked_at = dt.datetime.now().replace(microsecond=0)
        row.unlock_reason = reason
        record(s, actor, "quarter.unlock", "period", period.code,
               before=dict(status=APPROVED, approved_by=row.approved_by_name,
                           approved_at=row.approved_at.isoformat(sep=" ")),
               after=dict(status=PENDING, approval_id=row.id), detail=reason)
        bump_data_version(s)


def locked_problem(lock: Lock):  # noqa: ANN201  (an ingest Problem; imported late, ingest imports us)
    """The refusal an upload for a locked quarter gets, listed first among the file's problems."""
    from data_access.ingest.problems import err

    return err("ingest.err.period_locked", **lock.values())
