"""Meeting next steps: admin only, audited, validated, stored per period in the settings table."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import db
from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.briefing import notes
from data_access.db import session_scope

ADMIN = Actor(user_id=None, username="admin", role="admin")
DISPLAY = Actor(user_id=None, username="display", role="display")


def _period(engine) -> None:  # noqa: ANN001
    import datetime as dt

    with session_scope(engine) as s:
        s.add(m.Period(code="2026Q3", year=2026, quarter=3, start_date=dt.date(2026, 7, 1),
                       end_date=dt.date(2026, 9, 30), deadline=dt.date(2026, 10, 15)))


def test_save_and_read_next_steps(engine) -> None:  # noqa: ANN001
    _period(engine)
    version = db.data_version(engine)
    with session_scope(engine) as s:
        notes.save_next_steps(s, ADMIN, "2026Q3", notes.parse_lines("1. 加快北山乡建室\n\n- 县总工会补报\n"))
    with session_scope(engine) as s:
        assert notes.next_steps(s, "2026Q3") == ["加快北山乡建室", "县总工会补报"]
        assert s.get(m.Setting, "meeting.next_steps.2026Q3").value == ["加快北山乡建室", "县总工会补报"]
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "meeting.edit_notes"))
        assert entry.username == "admin" and entry.before == [] and len(entry.after) == 2
        assert notes.next_steps(s, "2026Q2") == []
    assert db.data_version(engine) == version + 1


def test_refused_changes_nothing(engine) -> None:  # noqa: ANN001
    _period(engine)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        notes.save_next_steps(s, DISPLAY, "2026Q3", ["x"])
    with pytest.raises(notes.NotesError) as too_long, session_scope(engine) as s:
        notes.save_next_steps(s, ADMIN, "2026Q3", ["ok", "长" * 201])
    assert too_long.value.key == "meeting.notes_too_long" and too_long.value.values["row"] == 2
    with pytest.raises(notes.NotesError), session_scope(engine) as s:
        notes.save_next_steps(s, ADMIN, "2026Q3", [f"{i}" for i in range(13)])
    with pytest.raises(notes.NotesError), session_scope(engine) as s:
        notes.save_next_steps(s, ADMIN, "1999Q1", ["x"])
    with session_scope(engine) as s:
        assert s.get(m.Setting, "meeting.next_steps.2026Q3") is None
        assert s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "meeting.edit_notes")) is None
