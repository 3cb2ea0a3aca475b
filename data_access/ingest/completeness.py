"""报送情况: which department handed in which quarter's sheet, on time, late or not at all.

Timeliness is judged by the first version uploaded (a later correction does not make a sheet late),
against the quarter's own deadline (periods.deadline, editable per quarter)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import models as m

ON_TIME, LATE, MISSING, DUE, NOT_DUE = "on_time", "late", "missing", "due", "not_due"
STATUSES = (ON_TIME, LATE, MISSING, DUE, NOT_DUE)


@dataclass
class Cell:
    status: str
    first_at: dt.datetime | None
    versions: int
    deadline: dt.date
    days_late: int = 0


def reporting_departments(session: Session) -> list[m.Department]:
    return list(session.scalars(select(m.Department).where(m.Department.reports_quarterly.is_(True))
                                .order_by(m.Department.sort_order, m.Department.id)))


def matrix(session: Session, today: dt.date | None = None, last: int | None = None) -> dict[str, Any]:
    """{"departments": [...], "periods": [...], "cells": {(dept_code, period_code): Cell}} for quarters that
    have ended (plus none that are still running); last = only the latest N quarters."""
    today = today or dt.date.today()
    periods = list(session.scalars(select(m.Period).where(m.Period.end_date < today)
                                   .order_by(m.Period.year, m.Period.quarter)))
    if last:
        periods = periods[-last:]
    departments = reporting_departments(session)
    first = {(d, p): (at, n) for d, p, at, n in session.execute(
        select(m.Submission.department_id, m.Submission.period_id, func.min(m.Submission.uploaded_at),
               func.count(m.Submission.id))
        .where(m.Submission.status.in_(("accepted", "superseded")))
        .group_by(m.Submission.department_id, m.Submission.period_id))}
    cells: dict[tuple[str, str], Cell] = {}
    for d in departments:
        for p in periods:
            at, n = first.get((d.id, p.id), (None, 0))
            if at is not None:
                late = (at.date() - p.deadline).days
                cells[(d.code, p.code)] = Cell(LATE if late > 0 else ON_TIME, at, n, p.deadline, max(0, late))
            elif today > p.deadline:
                cells[(d.code, p.code)] = Cell(MISSING, None, 0, p.deadline, (today - p.deadline).days)
            else:
                cells[(d.code, p.code)] = Cell(DUE, None, 0, p.deadline)
    return {"departments": [dict(id=d.id, code=d.code, name_zh=d.name_zh, name_en=d.name_en,
                                 liaison_name=d.liaison_name, liaison_phone=d.liaison_phone) for d in departments],
            "periods": [dict(code=p.code, year=p.year, quarter=p.quarter, deadline=p.deadline) for p in periods],
            "cells": cells}


def owing(session: Session, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Who still owes a sheet: missing (deadline passed) or due (quarter ended, deadline ahead), oldest first."""
    data = matrix(session, today)
    out = []
    for p in data["periods"]:
        for d in data["departments"]:
            cell = data["cells"][(d["code"], p["code"])]
            if cell.status in (MISSING, DUE):
                out.append(dict(department_code=d["code"], name_zh=d["name_zh"], name_en=d["name_en"],
                                period=p["code"], deadline=p["deadline"], status=cell.status,
                                days_overdue=cell.days_late, liaison_name=d["liaison_name"],
                                liaison_phone=d["liaison_phone"]))
    return out
