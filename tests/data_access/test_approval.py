"""Quarter sign-off on both backends: an approved quarter refuses every upload (checked file, a commit
racing the approval, the CLI) with who and when, and the database is read back unchanged; unlocking
needs a reason and is audited; after it the upload goes in."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import Engine, select, text

from data_access import approval, models as m
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import session_scope
from data_access.ingest.__main__ import main as cli
from data_access.ingest.commit import ACCEPTED, LOCKED, REJECTED, commit, ingest, prepare
from data_access.ingest.spec import build_spec
from data_access.ingest.templates import write_template

TODAY = dt.date(2026, 11, 23)
PERIOD = "2025Q2"
FIGURES = ("observations", "submissions", "quarter_approvals")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, databases) -> Engine:  # noqa: ANN001
    from sample_data.generate import generate

    engine = databases.new(request.param)
    generate(engine)
    return engine


def _actor(engine: Engine, username: str) -> Actor:
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        return Actor(u.id, u.username, u.role, u.department_id)


def _sheet(engine: Engine, period: str, bump: int = 0) -> bytes:
    with session_scope(engine) as s:
        spec = build_spec(s, "justice", period)
    values = {e.code: {"special_counselling:num": 10 + i + bump, "special_counselling:den": 40 + i}
              for i, e in enumerate(spec.entities)}
    return write_template(spec, values=values)


def _fingerprint(engine: Engine, tables: tuple[str, ...] = FIGURES) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in tables:
            cols = "*" if table != "submissions" else "id, department_id, period_id, sha256, status, superseded_by_id"
            for row in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY 1")):
                h.update(json.dumps([str(v) for v in row], ensure_ascii=False).encode())
    return h.hexdigest()


def _cli_args(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            monkeypatch.setenv("DATABASE_SCHEMA", conn.exec_driver_sql("SHOW search_path").scalar())
    return ["--database-url", engine.url.render_as_string(hide_password=False), "--today", TODAY.isoformat()]


def test_approved_quarter_refuses_uploads_until_unlocked_with_a_reason(county, tmp_path, capsys,
                                                                       monkeypatch) -> None:  # noqa: ANN001
    engine = county
    admin = _actor(engine, "admin")
    liaison = _actor(engine, "liaison_justice")
    with session_scope(engine) as s:
        seen = approval.review(s, PERIOD, TODAY)
        assert seen["ended"] and {r["code"] for r in seen["reports"]} >= {"justice", "health"}
        assert approval.statuses(s)[PERIOD] == approval.PENDING
    approval.approve(engine, admin, PERIOD, note="数据已核对", today=TODAY)
    with session_scope(engine) as s:
        assert approval.statuses(s)[PERIOD] == approval.APPROVED
        lock = approval.lock_of(s, approval._period(s, PERIOD).id)
        name = s.get(m.User, admin.user_id).display_name
    assert lock is not None and lock.approved_by == name

    # The upload page's path: the check refuses first, naming who approved and when.
    before = _fingerprint(engine)
    preview, result = ingest(engine, liaison, _sheet(engine, PERIOD), "司法局.xlsx", "justice", PERIOD, today=TODAY)
    assert result.status == REJECTED
    first = preview.all_problems[0]
    assert first.key == "ingest.err.period_locked"
    message = first.message("zh")
    assert name in message and f"{lock.approved_at:%Y-%m-%d %H:%M}" in message and "审核" in message
    assert _fingerprint(engine) == before

    # The CLI: exit 1, the message printed, nothing written.
    path = tmp_path / "司法局.xlsx"
    path.write_bytes(_sheet(engine, PERIOD, bump=1))
    assert cli([str(path), "--department", "justice", "--period", PERIOD, *_cli_args(engine, monkeypatch)]) == 1
    out = capsys.readouterr().out
    assert "审核通过并锁定" in out and name in out
    assert _fingerprint(engine) == before

    # Unlocking needs a reason (and only the administrator may).
    with pytest.raises(PermissionDenied):
        approval.unlock(engine, _actor(engine, "leader"), PERIOD, "领导要求更正数据")
    for reason in ("", "  ", "更正"):
        with pytest.raises(InvalidInput):
            approval.unlock(engine, admin, PERIOD, reason)
    assert _fingerprint(engine) == before
    approval.unlock(engine, admin, PERIOD, "司法局需更正特殊人群疏导人数")
    preview, result = ingest(engine, liaison, _sheet(engine, PERIOD, bump=2), "司法局-更正.xlsx", "justice", PERIOD,
                             today=TODAY)
    assert result.status == ACCEPTED, [p.message() for p in preview.all_problems]
    with session_scope(engine) as s:
        trail = [(e.action, e.detail) for e in s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action.in_(("quarter.approve", "quarter.unlock",
                                                                "submission.accept", "submission.reject")))
            .order_by(m.AuditEntry.id))][-4:]
        assert [a for a, _ in trail] == ["quarter.approve", "submission.reject", "quarter.unlock", "submission.accept"]
        assert trail[2][1] == "司法局需更正特殊人群疏导人数"
        assert approval.statuses(s)[PERIOD] == approval.PENDING
        assert approval.history(s, PERIOD)[0]["unlock_reason"] == "司法局需更正特殊人群疏导人数"


def test_an_approval_landing_between_check_and_confirm_wins(county) -> None:  # noqa: ANN001
    engine = county
    admin = _actor(engine, "admin")
    with session_scope(engine) as s:
        preview = prepare(s, admin, _sheet(engine, "2025Q3"), "x.xlsx", "justice", "2025Q3", TODAY)
    assert preview.ok
    approval.approve(engine, admin, "2025Q3", today=TODAY)
    before = _fingerprint(engine)
    result = commit(engine, admin, preview)
    assert result.status == LOCKED and result.values["period"] == "2025Q3"
    assert _fingerprint(engine) == before
    approval.unlock(engine, admin, "2025Q3", "测试：解锁以便其他测试")


def test_what_cannot_be_approved(county) -> None:  # noqa: ANN001
    engine = county
    admin = _actor(engine, "admin")
    before = _fingerprint(engine, FIGURES + ("audit_log",))
    with pytest.raises(InvalidInput) as running:
        approval.approve(engine, admin, "2026Q4", today=TODAY)          # not ended
    assert "尚未结束" in running.value.text()
    with pytest.raises(InvalidInput):
        approval.approve(engine, admin, "2031Q1", today=TODAY)          # no such quarter
    with pytest.raises(InvalidInput):
        approval.unlock(engine, admin, "2026Q1", "没有审核过的季度")      # nothing to unlock
    with pytest.raises(PermissionDenied):
        approval.approve(engine, _actor(engine, "leader"), "2026Q1", today=TODAY)
    assert _fingerprint(engine, FIGURES + ("audit_log",)) == before
    approval.approve(engine, admin, "2026Q1", today=TODAY)
    with pytest.raises(InvalidInput) as twice:
        approval.approve(engine, admin, "2026Q1", today=TODAY)
    assert "无需重复审核" in twice.value.text()
    approval.unlock(engine, admin, "2026Q1", "测试：解锁以便其他测试")
