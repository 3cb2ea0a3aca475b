"""The audit trail. record() adds its row to the caller's session, so it commits in the same
transaction as the change it describes, or not at all."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data_access.access import Actor
from data_access.models import AuditEntry


def record(session: Session, actor: Actor | None, action: str, entity: str | None = None,
           entity_id: object = None, before: Any = None, after: Any = None, detail: str | None = None) -> AuditEntry:
    entry = AuditEntry(at=dt.datetime.now(), user_id=actor.user_id if actor else None,
                       username=actor.username if actor else None, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id), before=before, after=after,
                       detail=detail)
    session.add(entry)
    return entry


# ---------------------------------------------------------------- reading the trail (admin page)
# There is deliberately no update or delete here: the app only ever appends.

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def query_entries(session: Session, *, start: dt.date | None = None, end: dt.date | None = None,
                  username: str | None = None, action: str | None = None, limit: int | None = 5000) -> list[dict]:
    """Entries newest first; start/end are whole days (end inclusive)."""
    from sqlalchemy import select

    stmt = select(AuditEntry)
    if start:
        stmt = stmt.where(AuditEntry.at >= dt.datetime.combine(start, dt.time.min))
    if end:
        stmt = stmt.where(AuditEntry.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if action:
        # "user" matches user.create, user.disable ...; "user.create" matches only itself.
        stmt = stmt.where((AuditEntry.action == action) | AuditEntry.action.startswith(action + "."))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return [dict(id=e.id, at=e.at, username=e.username, action=e.action, entity=e.entity, entity_id=e.entity_id,
                 before=e.before, after=e.after, detail=e.detail) for e in session.scalars(stmt)]


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The usernames and actions that occur, for the page's filter boxes."""
    from sqlalchemy import select

    users = sorted(u for u in session.scalars(select(AuditEntry.username).distinct()) if u)
    actions = sorted(session.scalars(select(AuditEntry.action).distinct()))
    return dict(users=users, actions=actions)


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_excel(rows: list[dict], headers: dict[str, str]) -> bytes:
    """rows as an .xlsx workbook; headers maps a row key to its column title (in the user's language)."""
    import io
    import json

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "audit"
    ws.append([safe_cell(h) for h in headers.values()])
    for row in rows:
        cells = []
        for key in headers:
            value = row.get(key)
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, default=str)
            elif isinstance(value, dt.datetime):
                value = value.replace(microsecond=0)
            cells.append(safe_cell(value))
        ws.append(cells)
        # openpyxl would store "=..." as a formula; the quote above makes it text, and data_type says so too.
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for i, key in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 22 if key not in ("before", "after", "detail") else 48
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
