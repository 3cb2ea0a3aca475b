"""Reference-data writes: validation with clear messages, history kept, audit row, data version."""
from __future__ import annotations

import datetime as dt

import pytest

from sqlalchemy import Engine, select

from data_access import admin, indicators
from data_access import models as m
from data_access.access import Actor
from data_access.admin import InvalidInput
from data_access.db import data_version, session_scope

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def admin_actor(county: Engine) -> Actor:
    with session_scope(county) as s:
        u = s.scalar(select(m.User).where(m.User.username == "admin"))
        return Actor(u.id, u.username, u.role)


def _ind(engine: Engine, code: str) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(m.Indicator.id).where(m.Indicator.code == code))


def _targets(engine: Engine, code: str) -> list[tuple]:
    with session_scope(engine) as s:
        return [(t.value, t.effective_from, t.effective_to) for t in s.scalars(
            select(m.Target).join(m.Indicator).where(m.Indicator.code == code).order_by(m.Target.id))]


def _audit_count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return len(s.scalars(select(m.AuditEntry.id)).all())


def test_a_150_percent_target_is_refused_in_chinese_and_nothing_changes(county: Engine, admin_actor: Actor) -> None:
    before, audits, version = _targets(county, "smd_managed"), _audit_count(county), data_version(county)
    with pytest.raises(InvalidInput) as exc:
        admin.set_target(county, admin_actor, _ind(county, "smd_managed"), value=1.5, comparison=">=",
                         target_date=dt.date(2027, 12, 31), effective_from=dt.date(2027, 1, 1))
    assert exc.value.text("zh") == "比率类指标的目标必须在 0% 到 100% 之间，您输入的是 150%，未做任何更改。"
    assert "150 %" in exc.value.text("en")
    assert (_targets(county, "smd_managed"), _audit_count(county), data_version(county)) == (before, audits, version)


def test_a_negative_count_target_is_refused(county: Engine, admin_actor: Actor) -> None:
    before = _targets(county, "outreach_sessions")
    with pytest.raises(InvalidInput) as exc:
        admin.set_target(county, admin_actor, _ind(county, "outreach_sessions"), value=-5, comparison=">=",
                         target_date=dt.date(2027, 12, 31), effective_from=dt.date(2027, 1, 1))
    assert "不能为负数" in exc.value.text("zh") and "-5" in exc.value.text("zh")
    with pytest.raises(InvalidInput) as whole:
        admin.set_target(county, admin_actor, _ind(county, "outreach_sessions"), value=40.5, comparison=">=",
                         target_date=dt.date(2027, 12, 31), effective_from=dt.date(2027, 1, 1))
    assert whole.value.key == "admin.err.target_whole"
    assert _targets(county, "outreach_sessions") == before


def test_a_new_target_closes_the_old_one_and_keeps_it(county: Engine, admin_actor: Actor) -> None:
    code = "smd_managed"
    [(old_value, old_from, old_to)] = _targets(county, code)
    assert old_to is None
    version = data_version(county)
    admin.set_target(county, admin_actor, _ind(county, code), value=0.95, comparison=">=",
                     target_date=dt.date(2027, 12, 31), effective_from=dt.date(2027, 1, 1), near_band=0.05,
                     note="十五五规划")
    assert _targets(county, code) == [(old_value, old_from, dt.date(2027, 1, 1)), (0.95, dt.date(2027, 1, 1), None)]
    assert data_version(county) == version + 1
    with session_scope(county) as s:
        # The quarter before the change is judged against the old target, after it against the new.
        assert indicators.targets_in_force(s, dt.date(2026, 12, 31))[code].value == old_value
        assert indicators.targets_in_force(s, dt.date(2027, 3, 31))[code].value == 0.95
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "target.set",
                                                     m.AuditEntry.username == admin_actor.username)).one()
        assert entry.username == "admin" and entry.entity_id == code
        assert entry.before[0]["value"] == old_value and entry.after["value"] == 0.95
    # Back-dating before the current target would rewrite history: refused.
    with pytest.raises(InvalidInput) as exc:
        admin.set_target(county, admin_actor, _ind(county, code), value=0.9, comparison=">=",
                         target_date=dt.date(2027, 12, 31), effective_from=dt.date(2026, 6, 1))
    assert exc.value.key == "admin.err.effective_from"


def test_yes_no_target(county: Engine, admin_actor: Actor) -> None:
    with pytest.raises(InvalidInput) as exc:
        admin.set_target(county, admin_actor, _ind(county, "hotline_24h"), value=2, comparison=">=",
                         target_date=dt.date(2027, 12, 31), effective_from=dt.date(2027, 1, 1))
    assert exc.value.key == "admin.err.target_yesno"


def test_rename_region_keeps_old_name_as_alias(county: Engine, admin_actor: Actor) -> None:
    with session_scope(county) as s:
        towns = s.scalars(select(m.Region).where(m.Region.level == "township").order_by(m.Region.code)).all()
        first, second = towns[0], towns[1]
        first_id, first_name, second_name = first.id, first.name_zh, second.name_zh
    with pytest.raises(InvalidInput) as clash:
        admin.rename_region(county, admin_actor, first_id, second_name, "Other")
    assert clash.value.key == "admin.err.region_name_taken" and second_name in clash.value.text("zh")
    with pytest.raises(InvalidInput) as empty:
        admin.rename_region(county, admin_actor, first_id, "  ", "x")
    assert empty.value.text("zh") == "请填写“中文名称”，未做任何更改。"
    assert empty.value.text("en") == "Please fill in “Chinese name”. Nothing was changed."
    admin.rename_region(county, admin_actor, first_id, "新城街道", "Xincheng Street")
    with session_scope(county) as s:
        region = s.get(m.Region, first_id)
        assert (region.name_zh, region.name_en) == ("新城街道", "Xincheng Street")
        assert first_name in region.aliases
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "region.rename")).one()
        assert entry.before["name_zh"] == first_name and entry.after["name_zh"] == "新城街道"


def test_department_liaison_and_phone(county: Engine, admin_actor: Actor) -> None:
    with session_scope(county) as s:
        dept = s.scalar(select(m.Department).where(m.Department.code == "union"))
        dept_id, name_zh, name_en = dept.id, dept.name_zh, dept.name_en
    with pytest.raises(InvalidInput) as exc:
        admin.update_department(county, admin_actor, dept_id, name_zh=name_zh, name_en=name_en,
                                liaison_name="李明", liaison_phone="call me", reports_quarterly=True)
    assert exc.value.key == "admin.err.phone"
    admin.update_department(county, admin_actor, dept_id, name_zh=name_zh, name_en=name_en, liaison_name="李明",
                            liaison_phone="0838-1234567", reports_quarterly=True)
    with session_scope(county) as s:
        dept = s.get(m.Department, dept_id)
        assert (dept.liaison_name, dept.liaison_phone) == ("李明", "0838-1234567")
    new_id = admin.create_department(county, admin_actor, code="women2", name_zh="县妇联二", name_en="Women 2")
    with pytest.raises(InvalidInput) as taken:
        admin.create_department(county, admin_actor, code="women2", name_zh="另一个", name_en="x")
    assert taken.value.key == "admin.err.code_taken"
    assert new_id


def test_deadlines_and_next_period(county: Engine, admin_actor: Actor) -> None:
    with session_scope(county) as s:
        q3 = s.scalar(select(m.Period).where(m.Period.code == "2026Q3"))
        q3_id, end = q3.id, q3.end_date
    with pytest.raises(InvalidInput) as early:
        admin.set_deadline(county, admin_actor, q3_id, end)
    assert early.value.key == "admin.err.deadline_early"
    admin.set_deadline(county, admin_actor, q3_id, dt.date(2026, 10, 20))
    code = admin.add_next_period(county, admin_actor)
    assert code == "2027Q1"
    with session_scope(county) as s:
        assert s.get(m.Period, q3_id).deadline == dt.date(2026, 10, 20)
        p = s.scalar(select(m.Period).where(m.Period.code == "2027Q1"))
        assert (p.start_date, p.end_date, p.deadline) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31),
                                                          dt.date(2027, 4, 15))
        actions = set(s.scalars(select(m.AuditEntry.action)))
        assert {"period.deadline", "period.create"} <= actions


def test_an_approved_quarters_deadline_stays(county: Engine, admin_actor: Actor) -> None:
    """On time and late were judged against it when the quarter was signed off (the sample approves 2025Q1)."""
    from data_access import approval

    with session_scope(county) as s:
        q1 = s.scalar(select(m.Period).where(m.Period.code == "2025Q1"))
        q1_id, deadline = q1.id, q1.deadline
    with pytest.raises(InvalidInput) as locked:
        admin.set_deadline(county, admin_actor, q1_id, deadline + dt.timedelta(days=30))
    assert locked.value.key == "admin.err.deadline_locked" and locked.value.values["period"] == "2025Q1"
    approval.unlock(county, admin_actor, "2025Q1", "截止日期录入有误")
    admin.set_deadline(county, admin_actor, q1_id, deadline + dt.timedelta(days=30))
    with session_scope(county) as s:
        assert s.get(m.Period, q1_id).deadline == deadline + dt.timedelta(days=30)
