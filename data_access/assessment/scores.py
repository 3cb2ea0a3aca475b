"""Scores from the data: for each township (or department) and item, what was measured, against what,
and the points earned; adjustments; the total and the rank.

What an item measures, as of the year's latest quarter that has ended (Q4 for a past year):
- indicator: the figure of the township (township schemes) or of the county (department schemes, for
  the department that owns the indicator; other departments are not assessed on it), against the item's
  own target or else the indicator's target in force (a year-to-date count pro-rated by quarter);
- reporting (departments): the year's quarters whose sheets are due; late and missing ones count
  against it (data_access.indicators.department_reports, first accepted sheet against the deadline);
- tasks (督办, departments and townships): tasks due in the year done on time; read from the task
  register (督办), never invented.
A missing figure earns nothing and says so. An item that does not apply to a subject (an indicator it
does not own, a report it does not owe) is left out and the subject's points are scaled to the scheme's
full points (按适用项折算), so a department is not rewarded or punished for another's work; a department
no item concerns is not scored at all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import indicators as ix
from data_access import models as m
from data_access.assessment import rules
from data_access.assessment.rules import DEDUCTION, INDICATOR, REPORTING, TASKS, dec, half_up
from data_access.assessment.schemes import scheme_of, subject_names

# Notes on an item's line (catalogue keys "assess.note.<x>").
NO_DATA, NOT_APPLICABLE, NO_TASKS, NOT_STARTED = "no_data", "not_applicable", "no_tasks", "not_started"


@dataclass
class ItemScore:
    position: int
    label_zh: str
    label_en: str
    kind: str
    rule: str
    points: float                 # full points
    value: float | None = None    # indicator figure, or share on time (reporting / tasks)
    misses: int | None = None     # late or missing reports / tasks done late or overdue
    due: int | None = None        # reports / tasks due
    target: float | None = None
    floor: float | None = None
    deduction: float | None = None
    value_kind: str = "ratio"     # ratio / count / yesno / share: how value and target read
    unit: str = ""
    earned: float | None = None   # None: not applicable
    note: str = ""


@dataclass
class SubjectScore:
    code: str
    name_zh: str
    name_en: str
    items: list[ItemScore]
    earned: float                 # sum of the applicable items' points
    applicable: float             # full points of the applicable items
    scaled: float                 # earned scaled to the scheme's full points
    adjustment: float
    adjustments: list[dict[str, Any]]
    total: float
    rank: int | None = None


@dataclass
class Result:
    year: int
    subject: str
    name_zh: str
    as_of: str | None             # period code the figures are from, None before the year's first quarter ends
    full_points: float
    rows: list[SubjectScore] = field(default_factory=list)


def tasks_done_on_time(session: Session, year: int, subject: str, today: dt.date) -> dict[str, tuple[int, int]]:
    """Tasks whose deadline falls in the year and has passed (or that are done): a task done after its
    deadline, or still open after it, is a miss. Departments answer for the tasks they own, townships
    for the tasks set for them."""
    task = m.Task
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if subject == "township":
        key = m.Region.code
        query = select(key, task.deadline, task.state, task.completed_at).join(m.Region, m.Region.id == task.township_id)
    else:
        key = m.Department.code
        query = select(key, task.deadline, task.state, task.completed_at).join(
            m.Department, m.Department.id == task.owner_department_id)
    out: dict[str, tuple[int, int]] = {}
    for code, deadline, state, completed_at in session.execute(
            query.where(task.deadline >= start, task.deadline <= end)):
        done = state == "done" and completed_at is not None
        if not done and deadline >= today:
            continue   # not due yet and not done: nothing to judge
        late = not done or completed_at.date() > deadline
        due, misses = out.get(code, (0, 0))
        out[code] = (due + 1, misses + late)
    return out


def _finite(x: object) -> float | None:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if f != f else f   # NaN: no figure


def _as_of(session: Session, year: int, today: dt.date) -> m.Period | None:
    return session.scalar(select(m.Period).where(m.Period.year == year, m.Period.end_date < today)
                          .order_by(m.Period.quarter.desc()).limit(1))


def _reporting(session: Session, year: int, today: dt.date) -> dict[str, tuple[int, int]]:
    """department code -> (quarters due, late or missing) over the year's quarters that are due."""
    out: dict[str, tuple[int, int]] = {}
    for period in session.scalars(select(m.Period).where(m.Period.year == year).order_by(m.Period.quarter)):
        for r in ix.department_reports(session, period, today):
            if r.state == ix.NOT_DUE:
                continue
            due, bad = out.get(r.code, (0, 0))
            out[r.code] = (due + 1, bad + (r.state in (ix.LATE, ix.MISSING)))
    return out


def compute(session: Session, year: int, subject: str, today: dt.date | None = None) -> Result | None:
    """Every township's (department's) score under the year's scheme; None when there is no scheme."""
    scheme = scheme_of(session, year, subject)
    if scheme is None:
        return None
    today = today or dt.date.today()
    period = _as_of(session, year, today)
    names = subject_names(session, subject)
    items = list(scheme.items)
    full = float(sum(dec(i.points) for i in items))
    result = Result(year, subject, scheme.name_zh, period.code if period else None, full)
    catalogue = {i.code: i for i in ix.indicator_catalogue(session)}
    codes = [i.indicator_code for i in items if i.kind == INDICATOR and i.indicator_code in catalogue]

    values: dict[tuple[str, str], float] = {}
    targets: dict[str, ix.TargetInfo] = {}
    if period is not None and codes:
        if subject == "township":
            groups = [r for r in ix.regions_at(session, ix.root_region(session).code, "township") if r.code in names]
        else:
            root = ix.root_region(session)
            groups = [root] if root else []
        frame = ix.indicator_values(session, [period], groups, codes)
        code_of = {g.id: g.code for g in groups}
        for r in frame.itertuples(index=False):
            v = _finite(r.value)
            if v is not None:
                values[(r.indicator, code_of[r.region_id])] = v
        targets = ix.targets_in_force(session, period.end_date)
    root_code = ix.root_region(session).code if subject == "department" and ix.root_region(session) else None
    reporting = _reporting(session, year, today) if any(i.kind == REPORTING for i in items) else {}
    tasks = tasks_done_on_time(session, year, subject, today) if any(i.kind == TASKS for i in items) else {}
    owners = {c: (catalogue[c].owner.code if catalogue[c].owner else None) for c in codes}
    adjustments: dict[str, list[dict[str, Any]]] = {}
    for a in session.scalars(select(m.AssessmentAdjustment).where(m.AssessmentAdjustment.scheme_id == scheme.id)
                             .order_by(m.AssessmentAdjustment.id)):
        adjustments.setdefault(a.subject_code, []).append(dict(points=a.points, reason=a.reason, by=a.created_by_name,
                                                               at=a.created_at))

    for code, name in names.items():
        lines = []
        for item in items:
            line = ItemScore(item.position, item.label_zh, item.label_en or item.label_zh, item.kind, item.rule,
                             item.points, target=item.target, floor=item.floor, deduction=item.deduction)
            _measure(line, item, code, subject, period, catalogue, values, targets, owners, root_code, reporting,
                     tasks)
            lines.append(line)
        applicable = [ln for ln in lines if ln.note not in (NOT_APPLICABLE, NO_TASKS)]
        if not applicable:
            continue   # a department none of the items concerns (owns no indicator, owes no sheet): not scored
        earned = sum((dec(ln.earned or 0) for ln in applicable), Decimal(0))
        possible = sum((dec(ln.points) for ln in applicable), Decimal(0))
        scaled = earned if possible == dec(full) or possible == 0 else half_up(earned * dec(full) / possible)
        adj = sum((dec(a["points"]) for a in adjustments.get(code, [])), Decimal(0))
        result.rows.append(SubjectScore(code, name["name_zh"], name["name_en"], lines, float(earned), float(possible),
                                        float(scaled), float(adj), adjustments.get(code, []),
                                        float(half_up(scaled + adj))))
    ranks = ix.competition_rank({r.code: r.total for r in result.rows})
    for r in result.rows:
        r.rank = ranks[r.code]
    result.rows.sort(key=lambda r: (r.rank or 10**6, r.code))
    return result


def _measure(line: ItemScore, item: m.AssessmentItem, code: str, subject: str, period: m.Period | None,
             catalogue: dict, values: dict, targets: dict, owners: dict, root_code: str | None,
             reporting: dict, tasks: dict) -> None:
    """Fill in what the item measures for one subject and the points it earns."""
    if item.kind == INDICATOR:
        ind = catalogue.get(item.indicator_code)
        if ind is None:
            line.note = NO_DATA
            line.earned = 0.0
            return
        line.value_kind, line.unit = ind.kind, ind.unit
        if subject == "department" and owners.get(ind.code) != code:
            line.note = NOT_APPLICABLE
            return
        if line.target is None:
            info = targets.get(ind.code)
            if info is not None and period is not None:
                line.target = ix.expected_by_period(info, ind.accumulate, period.quarter)
        key = (ind.code, code if subject == "township" else root_code)
        line.value = values.get(key)
        points = rules.score(item.rule, item.points, value=line.value, target=line.target, floor=item.floor,
                             higher_is_better=ind.higher_is_better)
    else:
        line.value_kind = "share"
        if item.kind == REPORTING:
            if period is None:
                line.note, line.earned = NOT_STARTED, 0.0
                return
            if code not in reporting:
                line.note = NOT_APPLICABLE     # a department that owes no quarterly sheet
                return
            line.due, line.misses = reporting[code]
        else:
            if not tasks.get(code, (0, 0))[0]:
                line.note = NO_TASKS           # no task due this year: nothing to judge, the item is left out
                line.due, line.misses = 0, 0
                return
            line.due, line.misses = tasks[code]
        line.value = (line.due - line.misses) / line.due if line.due else None
        if item.rule == DEDUCTION:
            points = rules.score(DEDUCTION, item.points, deduction=item.deduction, misses=line.misses)
        else:
            points = rules.score(item.rule, item.points, value=line.value, target=item.target, floor=item.floor)
    if points is None:
        line.note, line.earned = NO_DATA, 0.0
    else:
        line.earned = float(points)


def subject_score(session: Session, year: int, subject: str, code: str,
                  today: dt.date | None = None) -> tuple[Result, SubjectScore] | None:
    """One township's (department's) line, for its profile page."""
    result = compute(session, year, subject, today)
    if result is None:
        return None
    for row in result.rows:
        if row.code == code:
            return result, row
    return None
