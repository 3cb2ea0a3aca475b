"""Regions, departments, indicators & targets, quarters & deadlines pages, through their forms."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from auth_fixtures import audit_actions, count
from data_access import models as m
from data_access.db import data_version, session_scope
from helpers import open_page, signed_in


def _button(at, label: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.label == label)


def test_regions_page_renames_and_notes_merges_are_out_of_scope(writable_app) -> None:
    at = open_page("pages/admin_regions.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert "合并" in at.info[0].value
    with session_scope(writable_app) as s:
        town = s.scalars(select(m.Region).where(m.Region.level == "township").order_by(m.Region.code)).first()
        villages = s.scalars(select(m.Region).where(m.Region.parent_id == town.id)).all()
        town_id, old_name, n_villages = town.id, town.name_zh, len(villages)
    assert len(at.dataframe[0].value) == n_villages + 1  # the township and its villages
    form = [t for t in at.text_input if t.form_id == f"rename_{town_id}"]
    form[0].input("新城街道")
    form[1].input("Xincheng Street")
    _button(at, "保存").click()
    at.run()
    assert at.success[0].value == "已保存。"
    with session_scope(writable_app) as s:
        town = s.get(m.Region, town_id)
        assert town.name_zh == "新城街道" and old_name in town.aliases
    assert ("admin", "region.rename") in audit_actions(writable_app)


def test_a_150_percent_target_gets_a_clear_message_and_changes_nothing(writable_app) -> None:
    with session_scope(writable_app) as s:
        ind_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "smd_managed"))
    targets_before, version = count(writable_app, m.Target), data_version(writable_app)
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    at.selectbox(key="indicator_pick").set_value(ind_id).run()
    history = at.dataframe[0].value
    assert list(history["目标"]) == ["≥ 90%"] and list(history["结束日期"]) == ["现行"]
    at.number_input[0].set_value(150.0)
    _button(at, "保存新目标").click()
    at.run()
    assert at.error[0].value == "比率类指标的目标必须在 0% 到 100% 之间，您输入的是 150%，未做任何更改。"
    assert (count(writable_app, m.Target), data_version(writable_app)) == (targets_before, version)
    # A valid one: the old target is kept, closed on the new one's start date.
    at.number_input[0].set_value(95.0)
    _button(at, "保存新目标").click()
    at.run()
    assert not at.error
    history = at.dataframe[0].value
    assert list(history["目标"]) == ["≥ 95%", "≥ 90%"]
    assert list(history["结束日期"])[0] == "现行" and str(list(history["结束日期"])[1]) == dt.date.today().isoformat()


def test_a_negative_count_target_is_refused(writable_app) -> None:
    with session_scope(writable_app) as s:
        ind_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "outreach_sessions"))
    before = count(writable_app, m.Target)
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    at.selectbox(key="indicator_pick").set_value(ind_id).run()
    at.number_input[0].set_value(-3.0)
    _button(at, "保存新目标").click()
    at.run()
    assert at.error[0].value == "数量类指标的目标不能为负数（您输入的是 -3），未做任何更改。"
    assert count(writable_app, m.Target) == before


def test_departments_page_edits_the_liaison(writable_app) -> None:
    at = open_page("pages/admin_departments.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert len(at.dataframe[0].value) == count(writable_app, m.Department)
    with session_scope(writable_app) as s:
        dept_id = s.scalar(select(m.Department.id).where(m.Department.code == "union"))
    at.selectbox(key="dept_pick").set_value(dept_id).run()
    form = [t for t in at.text_input if t.form_id == f"dept_{dept_id}"]
    form[2].input("李明")
    form[3].input("电话见通讯录")
    _button(at, "保存").click()
    at.run()
    assert "电话号码“电话见通讯录”格式不对" in at.error[0].value
    form = [t for t in at.text_input if t.form_id == f"dept_{dept_id}"]
    form[3].input("0838-6221234")
    _button(at, "保存").click()
    at.run()
    with session_scope(writable_app) as s:
        dept = s.get(m.Department, dept_id)
        assert (dept.liaison_name, dept.liaison_phone) == ("李明", "0838-6221234")


def test_periods_page_changes_a_deadline_and_opens_the_next_quarter(writable_app) -> None:
    at = open_page("pages/admin_periods.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert len(at.dataframe[0].value) == count(writable_app, m.Period)
    with session_scope(writable_app) as s:
        q4 = s.scalar(select(m.Period).where(m.Period.code == "2026Q4"))
        q4_id = q4.id
    at.selectbox(key="period_pick").set_value(q4_id).run()
    at.date_input[0].set_value(dt.date(2026, 12, 1))
    _button(at, "保存").click()
    at.run()
    assert "必须晚于该季度结束日" in at.error[0].value
    at.date_input[0].set_value(dt.date(2027, 1, 20))
    _button(at, "保存").click()
    at.run()
    _button(at, "开放下一个季度").click()
    at.run()
    assert "已开放 2027Q1" in at.success[0].value
    with session_scope(writable_app) as s:
        assert s.get(m.Period, q4_id).deadline == dt.date(2027, 1, 20)
        assert s.scalar(select(m.Period.id).where(m.Period.code == "2027Q1"))
