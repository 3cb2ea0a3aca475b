"""The audit trail: filters, the Excel download (formula-safe), and append-only from the app."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from data_access import audit
from data_access.access import Actor
from data_access.db import session_scope

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(1, "admin", "admin")
LIAISON = Actor(2, "liaison_health", "liaison", 2)


@pytest.fixture
def trail(engine: Engine) -> Engine:
    """Entries on three days by two users (user ids: the audit row keeps username even without a user row)."""
    rows = [
        (dt.datetime(2026, 11, 1, 9), None, "auth.sign_in_failed", "unknown username: x"),
        (dt.datetime(2026, 11, 1, 10), ADMIN, "auth.sign_in", None),
        (dt.datetime(2026, 11, 2, 11), ADMIN, "target.set", None),
        (dt.datetime(2026, 11, 3, 8), LIAISON, "auth.sign_in", None),
        (dt.datetime(2026, 11, 3, 23, 59), LIAISON, "submission.accepted", "=HYPERLINK(\"http://x\")"),
    ]
    with session_scope(engine) as s:
        for at, actor, action, detail in rows:
            entry = audit.record(s, Actor(None, actor.username, actor.role) if actor else None, action,
                                 "user", "42", before={"v": "-1"}, after={"v": "@SUM(A1)"}, detail=detail)
            entry.at = at
    return engine


def test_filters_by_date_user_and_action(trail: Engine) -> None:
    with session_scope(trail) as s:
        everything = audit.query_entries(s)
        assert [e["at"].day for e in everything] == [3, 3, 2, 1, 1]  # newest first
        day3 = audit.query_entries(s, start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 3))
        assert [e["action"] for e in day3] == ["submission.accepted", "auth.sign_in"]  # end day inclusive
        assert len(audit.query_entries(s, start=dt.date(2026, 11, 2))) == 3
        assert [e["action"] for e in audit.query_entries(s, username="admin")] == ["target.set", "auth.sign_in"]
        assert len(audit.query_entries(s, action="auth")) == 3          # a group: auth.*
        assert len(audit.query_entries(s, action="auth.sign_in")) == 2  # one action exactly
        assert audit.query_entries(s, username="admin", action="auth.sign_in", end=dt.date(2026, 11, 1))[0]["at"] \
            == dt.datetime(2026, 11, 1, 10)
        choices = audit.filter_choices(s)
        assert choices["users"] == ["admin", "liaison_health"]
        assert "target.set" in choices["actions"]


def test_excel_download_is_formula_safe(trail: Engine) -> None:
    with session_scope(trail) as s:
        rows = audit.query_entries(s)
    data = audit.to_excel(rows, {"at": "时间", "username": "用户", "action": "操作", "before": "修改前",
                                 "after": "修改后", "detail": "说明"})
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["时间", "用户", "操作", "修改前", "修改后", "说明"]
    assert ws.max_row == 6
    values = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    for value in values:
        if isinstance(value, str):
            assert not value.startswith(("=", "+", "-", "@")), value
    assert audit.safe_cell("-1") == "'-1" and audit.safe_cell("+86 138") == "'+86 138"
    assert audit.safe_cell("正常文本") == "正常文本" and audit.safe_cell(5) == 5


def test_the_app_never_updates_or_deletes_audit_rows() -> None:
    """Append-only from the app: no code outside the sample-data reset touches audit rows but to insert."""
    pattern = re.compile(r"(update|delete)\(\s*(m\.|models\.)?AuditEntry|audit_log\b.*\b(UPDATE|DELETE)|"
                         r"(UPDATE|DELETE FROM)\s+audit_log", re.IGNORECASE)
    offenders = []
    for path in [ROOT / "app.py", *ROOT.glob("data_access/**/*.py"), *ROOT.glob("ui/**/*.py"),
                 *ROOT.glob("pages/**/*.py")]:
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if pattern.search(text) or re.search(r"session\.delete\(\s*(entry|audit)", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert not [n for n in dir(audit) if n.startswith(("update", "delete", "remove", "purge"))]


def test_the_database_itself_refuses_to_change_or_remove_audit_rows(trail: Engine) -> None:
    """Not only the app: an UPDATE or DELETE on audit_log fails in the database (SQLite and PostgreSQL
    triggers from the migrations), and the rows stay as they were."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    def snapshot() -> list[tuple]:
        with trail.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, action, detail FROM audit_log ORDER BY id"))]

    before = snapshot()
    for sql in ("UPDATE audit_log SET detail = 'covered up'", "UPDATE audit_log SET action = 'x' WHERE id = 1",
                "DELETE FROM audit_log", "DELETE FROM audit_log WHERE action = 'auth.sign_in_failed'"):
        with pytest.raises(DBAPIError, match="append-only"):
            with trail.begin() as conn:
                conn.execute(text(sql))
    if trail.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with trail.begin() as conn:
                conn.execute(text("TRUNCATE audit_log"))
    assert snapshot() == before and len(before) == 5
    # Appending still works.
    with session_scope(trail) as s:
        audit.record(s, Actor(None, "admin", "admin"), "auth.sign_in")
    assert len(snapshot()) == 6
