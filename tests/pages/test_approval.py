"""季度审核 page: the admin approves a quarter through the form, the picker says 已审核, an unlock without a
reason is refused with a message and changes nothing, with one it unlocks; a leader only reads."""
from __future__ import annotations

from sqlalchemy import select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access.db import data_version, session_scope
from helpers import open_page, signed_in


def _button(at, label: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.label == label)


def _approvals(engine) -> list[tuple]:  # noqa: ANN001
    with session_scope(engine) as s:
        return [(r.period.code, r.unlocked_at is None, r.unlock_reason) for r in s.scalars(
            select(m.QuarterApproval).order_by(m.QuarterApproval.id))]


def test_admin_approves_then_unlocks_only_with_a_reason(writable_app) -> None:
    engine = writable_app
    at = open_page("pages/approval.py", state=signed_in(engine, "admin"), query={"period": "2026Q2"})
    assert not at.exception
    assert "待审核" in at.selectbox(key="approval_period").format_func("2026Q2")
    assert len(at.dataframe[0].value) >= 5  # one row per reporting department
    before = _approvals(engine)
    at.text_input(key="approve_note").input("已核对")
    _button(at, "审核通过并锁定").click()
    at.run()
    assert not at.exception and "已审核通过并锁定" in at.success[0].value
    assert _approvals(engine) == before + [("2026Q2", True, None)]
    assert "已审核" in at.selectbox(key="approval_period").format_func("2026Q2")
    version = data_version(engine)
    at.text_area(key="unlock_reason").input("改")
    _button(at, "解锁").click()
    at.run()
    assert "至少" in at.error[0].value
    assert _approvals(engine) == before + [("2026Q2", True, None)] and data_version(engine) == version
    at.text_area(key="unlock_reason").input("卫健委需更正北山乡数据")
    _button(at, "解锁").click()
    at.run()
    assert not at.error and "已解锁" in at.success[0].value
    assert _approvals(engine) == before + [("2026Q2", False, "卫健委需更正北山乡数据")]
    assert {("admin", "quarter.approve"), ("admin", "quarter.unlock")} <= set(audit_actions(engine))


def test_leader_reads_without_the_forms(app_engine) -> None:
    at = open_page("pages/approval.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    assert not [b for b in at.button if b.label in ("审核通过并锁定", "解锁")]
    assert any("管理员" in c.value for c in at.caption)
