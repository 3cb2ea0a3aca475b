"""Pages of the steering follow-up (督办任务, 会议记录, the warning -> task panel, comments, the overdue
column of 报送情况, the overview's task blocks) as each role sees them; writes are read back from the
database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import meetings as mt
from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor
from data_access.db import session_scope
from view_helpers import open_view, texts

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _actor(engine, username: str) -> Actor:  # noqa: ANN001
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        return Actor(u.id, u.username, u.role, u.department_id)


def _dept(engine, code: str) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(m.Department.id).where(m.Department.code == code))


def _task(engine, title: str, dept: str, deadline: dt.date, today: dt.date | None = None) -> int:  # noqa: ANN001
    return tk.create_task(engine, _actor(engine, "leader"), title=title, department_id=_dept(engine, dept),
                          deadline=deadline, today=today or deadline - dt.timedelta(days=40))


def _button(at, label: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("role, page", [("display", "pages/tasks.py"), ("display", "pages/meetings.py"),
                                        ("liaison", "pages/meetings.py")])
def test_roles_without_the_page_get_a_clear_sentence(writable_app, role, page) -> None:  # noqa: ANN001
    at = open_view(writable_app, page, role=role)
    assert not at.exception
    assert "无权打开此页面" in texts(at)
    assert not any(b.label in ("创建任务", "保存会议记录") for b in at.button)


def test_a_leader_creates_a_task_on_the_page(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/tasks.py")
    assert not at.exception
    at.text_input(key="task_new_title").input("  白塔镇心理服务站人员配齐 ")
    at.selectbox(key="task_new_dept").select(_dept(writable_app, "zongzhi"))
    _button(at, "创建任务").click().run()
    assert not at.exception and not at.error
    with session_scope(writable_app) as s:
        task = s.scalar(select(m.Task).where(m.Task.title == "白塔镇心理服务站人员配齐"))
        assert task is not None and task.owner.code == "zongzhi" and task.source == "manual"
        assert task.deadline == dt.date.today() + dt.timedelta(days=30)
    assert any("已创建" in s.value for s in at.success)


def test_a_task_without_a_department_is_refused_with_a_message(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/tasks.py")
    with session_scope(writable_app) as s:
        before = s.query(m.Task).count()
    at.text_input(key="task_new_title").input("没有责任部门的任务")
    _button(at, "创建任务").click().run()
    assert not at.exception
    assert any("请选择责任部门" in e.value for e in at.error)
    assert at.text_input(key="task_new_title").value == "没有责任部门的任务"  # kept, to be corrected
    with session_scope(writable_app) as s:
        assert s.query(m.Task).count() == before


def test_the_liaison_sees_only_their_departments_tasks_and_reports_progress(writable_app) -> None:  # noqa: ANN001
    mine = _task(writable_app, "卫健委：北山乡随访整改", "health", dt.date.today() + dt.timedelta(days=20))
    _task(writable_app, "教育局：辅导室建设", "education", dt.date.today() + dt.timedelta(days=20))
    with session_scope(writable_app) as s:
        health_open = [r.title for r in tk.list_tasks(s, department_id=_dept(writable_app, "health"), open_only=True)]
    home = open_view(writable_app, "pages/home.py", role="liaison")
    assert not home.exception
    assert f"本部门有 {len(health_open)} 项督办任务未完成" in texts(home) and "卫健委：北山乡随访整改" in texts(home)
    at = open_view(writable_app, "pages/tasks.py", role="liaison", query={"task": str(mine)})
    assert not at.exception
    shown = at.dataframe[0].value if at.dataframe else None
    assert shown is not None and sorted(shown["任务"]) == sorted(health_open)  # the health commission's only
    assert "教育局：辅导室建设" not in list(shown["任务"])
    assert not any(b.label == "创建任务" for b in at.button)  # a liaison does not assign tasks
    at.text_area(key=f"progress_note_{mine}").input("已入户随访 12 户")
    _button(at, "提交进展").click().run()
    assert not at.exception and not at.error
    assert [t.value for t in at.text_area] == [""]  # the saved form starts empty again
    with session_scope(writable_app) as s:
        task = s.get(m.Task, mine)
        assert task.state == "in_progress" and [p.note for p in task.progress] == ["已入户随访 12 户"]
        assert task.progress[0].username == "liaison_health"


def test_a_liaison_opening_another_departments_task_link_sees_nothing_of_it(writable_app) -> None:  # noqa: ANN001
    other = _task(writable_app, "教育局内部任务", "education", dt.date.today() + dt.timedelta(days=20))
    at = open_view(writable_app, "pages/tasks.py", role="liaison", query={"task": str(other)})
    assert not at.exception
    assert "教育局内部任务" not in texts(at)


def test_overdue_tasks_on_the_overview_and_in_the_completeness_row(writable_app) -> None:  # noqa: ANN001
    with session_scope(writable_app) as s:
        before = tk.overdue_by_department(s).get("justice", 0)
    _task(writable_app, "逾期的司法局任务", "justice", dt.date.today() - dt.timedelta(days=3),
          today=dt.date.today() - dt.timedelta(days=30))
    home = open_view(writable_app, "pages/home.py", query={"period": "2026Q3"})
    assert not home.exception
    assert "逾期的司法局任务 — 县司法局" in texts(home) and "逾期 3 天" in texts(home)
    at = open_view(writable_app, "pages/completeness.py")
    assert not at.exception
    frame = at.dataframe[0].value
    with session_scope(writable_app) as s:
        late = tk.overdue_by_department(s)
    assert late["justice"] == before + 1
    column = dict(zip(frame.iloc[:, 0], frame["逾期督办"]))
    assert column["县司法局"] == f"{before + 1} 项逾期"
    assert column["县卫生健康委员会"] == (f"{late['health']} 项逾期" if late.get("health") else "—")


def test_a_task_from_a_warning_on_the_warnings_page(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/warnings.py", query={"period": "2026Q3"})
    assert not at.exception
    pick = at.selectbox(key="warn_task_pick")
    ref = pick.value
    kind, region, indicator, period = ref.split("|")
    slot = "warn_task_" + "".join(ch if ch.isalnum() else "_" for ch in ref)
    assert at.text_input(key=f"{slot}_title").value.startswith("核查并整改")
    _button(at, "创建任务").click().run()
    assert not at.exception and not at.error
    with session_scope(writable_app) as s:
        task = s.scalar(select(m.Task).where(m.Task.source == "warning", m.Task.source_ref == ref))
        assert task is not None and task.township.code == region and task.indicator.code == indicator
        assert task.owner_department_id == task.indicator.owner_department_id
    again = open_view(writable_app, "pages/warnings.py", query={"period": "2026Q3"})
    assert "这条预警已创建督办任务" in texts(again)


def test_a_meeting_is_recorded_and_a_decision_becomes_a_task(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/meetings.py")
    assert not at.exception
    at.multiselect(key="meeting_new_present").select("health").select("education")
    at.text_area(key="meeting_new_topics").input("三季度工作推进")
    at.text_area(key="meeting_new_decisions").input("1. 卫健委年底前完成北山乡随访\n2、教育局建成辅导室\n\n")
    _button(at, "保存会议记录").click().run()
    assert not at.exception and not at.error
    with session_scope(writable_app) as s:
        meeting = s.scalar(select(m.Meeting).order_by(m.Meeting.id.desc()))
        assert [d.text for d in meeting.decisions] == ["卫健委年底前完成北山乡随访", "教育局建成辅导室"]
        assert meeting.departments_present == ["health", "education"] and meeting.held_on == dt.date.today()
        first = meeting.decisions[0].id
    at.selectbox(key=f"decision_{first}_dept").select(_dept(writable_app, "health"))
    # The first decision's form is the first "make it a task" button on the page.
    [b for b in at.button if b.label == "转为督办任务"][0].click().run()
    assert not at.exception and not at.error
    with session_scope(writable_app) as s:
        task = s.scalar(select(m.Task).where(m.Task.decision_id == first))
        assert task is not None and task.title == "卫健委年底前完成北山乡随访" and task.owner.code == "health"


def test_an_empty_meeting_record_is_refused_on_the_page(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/meetings.py")
    with session_scope(writable_app) as s:
        before = s.query(m.Meeting).count()
    at.text_area(key="meeting_new_topics").input("   ")
    _button(at, "保存会议记录").click().run()
    assert not at.exception
    assert any("请至少填写议题或一条决定事项" in e.value for e in at.error)
    with session_scope(writable_app) as s:
        assert s.query(m.Meeting).count() == before


def test_comments_on_the_indicator_and_township_pages(writable_app) -> None:  # noqa: ANN001
    at = open_view(writable_app, "pages/indicator.py", query={"indicator": "smd_managed", "period": "2026Q3"})
    assert not at.exception
    at.selectbox(key="comment_area").select("990101001")
    at.text_input(key="comment_text").input("已约谈北山乡")
    _button(at, "添加批注").click().run()
    assert not at.exception and not at.error
    assert "已约谈北山乡" in texts(at)
    with session_scope(writable_app) as s:
        c = s.scalar(select(m.Comment).where(m.Comment.username == "leader"))
        region = s.get(m.Region, c.region_id)
        assert (c.text, region.code, c.username, c.withdrawn_at) == ("已约谈北山乡", "990101001", "leader", None)
    town = open_view(writable_app, "pages/township.py", query={"township": "990101001", "period": "2026Q3"})
    assert not town.exception and "北山乡 · 严重精神障碍患者规范管理率：已约谈北山乡（leader" in texts(town)
    other = open_view(writable_app, "pages/township.py", query={"township": "990101002", "period": "2026Q3"})
    assert "已约谈北山乡（leader" not in texts(other)
    liaison = open_view(writable_app, "pages/indicator.py", role="liaison",
                        query={"indicator": "smd_managed", "period": "2026Q3"})
    assert "已约谈北山乡" in texts(liaison) and not any(b.label == "添加批注" for b in liaison.button)


def test_meeting_records_list_shows_the_task_each_decision_became(writable_app) -> None:  # noqa: ANN001
    leader = _actor(writable_app, "leader")
    meeting = mt.record_meeting(writable_app, leader, held_on=dt.date.today(), kind="leading_group",
                                department_codes=["health"], topics="议题", decisions=["决定甲", "决定乙"])
    with session_scope(writable_app) as s:
        first = s.get(m.Meeting, meeting).decisions[0].id
    task = mt.decision_to_task(writable_app, leader, first, department_id=_dept(writable_app, "health"),
                               deadline=dt.date.today() + dt.timedelta(days=10))
    at = open_view(writable_app, "pages/meetings.py")
    assert not at.exception
    assert "领导小组会议" in texts(at)
    assert any(f"#{task}" in (p.label or "") for p in at.get("page_link"))


@pytest.mark.parametrize("page, role, words", [
    ("pages/tasks.py", "leader", ["Tasks", "Overdue"]), ("pages/tasks.py", "liaison", ["Your department's tasks"]),
    ("pages/meetings.py", "admin", ["Joint meeting", "Decisions"]),
])
def test_the_pages_in_english(app_engine, page, role, words) -> None:  # noqa: ANN001
    at = open_view(app_engine, page, lang="en", role=role)
    assert not at.exception
    shown = texts(at) + "\n".join(t.value for t in at.title) + "\n".join(m.label for m in at.metric)
    assert all(w in shown for w in words), shown[:500]


def test_typed_text_is_shown_as_typed_never_as_markdown(writable_app) -> None:  # noqa: ANN001
    """A title, note or decision is someone's typing: an image link in it must not make every reader's
    browser fetch it."""
    hostile = "整改![x](http://evil.example/a.png)**粗体**"
    task = _task(writable_app, hostile, "health", dt.date.today() + dt.timedelta(days=20))
    tk.add_progress(writable_app, _actor(writable_app, "liaison_health"), task, note=hostile)
    mt.record_meeting(writable_app, _actor(writable_app, "leader"), held_on=dt.date.today(), kind="joint",
                      department_codes=[], topics=hostile, decisions=[hostile])
    for page, query in (("pages/tasks.py", {"task": str(task)}), ("pages/meetings.py", {})):
        at = open_view(writable_app, page, query=query)
        assert not at.exception
        shown = texts(at)
        assert "整改" in shown and "![x](" not in shown and "**粗体**" not in shown
