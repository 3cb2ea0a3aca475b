"""Meeting next steps (下一步工作): typed by an administrator, one list per period, kept in the
settings table under meeting.next_steps.<period> so no schema change is needed."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import audit, db
from data_access import models as m
from data_access.access import Actor, require

MAX_ITEMS = 12
MAX_CHARS = 200


class NotesError(ValueError):
    """A list that cannot be saved; `key` is the catalogue message, `values` its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def notes_key(period_code: str) -> str:
    return f"meeting.next_steps.{period_code}"


def next_steps(session: Session, period_code: str) -> list[str]:
    row = session.get(m.Setting, notes_key(period_code))
    if row is None or not isinstance(row.value, list):
        return []
    return [str(x) for x in row.value if str(x).strip()]


def parse_lines(text: str) -> list[str]:
    """One step per line; blank lines and list markers ("1.", "-", "•") a typist adds are dropped."""
    items = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-•*·").strip()
        head = line.split(".", 1)[0].split("、", 1)[0]
        if head.isdigit() and len(head) <= 2 and len(line) > len(head) + 1:
            line = line[len(head) + 1:].strip()
        if line:
            items.append(line)
    return items


def save_next_steps(session: Session, actor: Actor | None, period_code: str, items: list[str]) -> list[str]:
    """Replace the period's list (admin only), audited in the same transaction."""
    require(actor, "meeting.edit_notes")
    if session.scalar(select(m.Period.id).where(m.Period.code == period_code)) is None:
        raise NotesError("meeting.notes_bad_period", period=period_code)
    clean = [str(x).strip() for x in items if str(x).strip()]
    if len(clean) > MAX_ITEMS:
        raise NotesError("meeting.notes_too_many", n=MAX_ITEMS)
    for number, item in enumerate(clean, start=1):
        if len(item) > MAX_CHARS:
            raise NotesError("meeting.notes_too_long", row=number, n=MAX_CHARS)
    key = notes_key(period_code)
    row = session.get(m.Setting, key)
    before = list(row.value) if row is not None and isinstance(row.value, list) else []
    if row is None:
        session.add(m.Setting(key=key, value=clean))
    else:
        row.value = clean
    audit.record(session, actor, "meeting.edit_notes", "settings", key, before=before, after=clean)
    # The briefing (and its cached exports) shows these lines: bump so caches are re-read.
    db.bump_data_version(session)
    return clean
