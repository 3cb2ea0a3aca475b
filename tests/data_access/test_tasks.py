"""Tasks (督办), meeting records and comments: what is stored is read back from the database, on
SQLite and PostgreSQL; refusals change nothing."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from data_access import comments as cm
from data_access import meetings as mt
from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import session_scope

TODAY = dt.date(2026, 11, 23)
PDF = b"%PDF-1.4\n% evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _actor(engine, username: str) -> Actor:  # noqa: ANN001
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == username))
        return Actor(u.id, u.username, u.role, u.department_id)


def _ids(engine) -> dict:  # noqa: ANN001
    with session_scope(engine) as s:
        dept = {d.code: d.id for d in s.scalars(select(m.Department))}
        town = s.scalar(select(m.Region).where(m.Region.code == "990101001"))
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "smd_managed"))
        return dict(dept=dept, beishan=town.id, smd=ind)


def _count(engine, model) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _trail(engine, action: str) -> list[m.AuditEntry]:  # noqa: ANN001
    with session_scope(engine) as s:
        return list(s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == action).order_by(m.AuditEntry.id)))


def test_status_is_computed_from_the_deadline() -> None:
    day = dt.date(2026, 11, 30)
    assert tk.status_of("not_started", day, dt.date(2026, 11, 30)) == tk.NOT_STARTED  # due today: not late yet
    assert tk.status_of("not_started", day, dt.date(2026, 12, 1)) == tk.OVERDUE
    assert tk.status_of("in_progress", day, dt.date(2026, 12, 1)) == tk.OVERDUE
    assert tk.status_of("in_progress", day, dt.date(2026, 11, 1)) == tk.IN_PROGRESS
    assert tk.status_of("done", day, dt.date(2027, 6, 1)) == tk.DONE


def test_a_leader_creates_a_task_and_the_health_liaison_reports_progress_with_a_file(county) -> None:  # noqa: ANN001
    ids = _ids(county)
    leader, liaison = _actor(county, "leader"), _actor(county, "liaison_health")
    task_id = tk.create_task(county, leader, title="  北山乡严重精神障碍患者随访整改  ", department_id=ids["dept"]["health"],
                             deadline=dt.date(2026, 12, 31), township_id=ids["beishan"], indicator_id=ids["smd"],
                             today=TODAY)
    with session_scope(county) as s:
        task = s.get(m.Task, task_id)
        assert (task.title, task.state, task.source, task.owner.code, task.township.name_zh, task.indicator.code) == (
            "北山乡严重精神障碍患者随访整改", "not_started", "manual", "health", "北山乡", "smd_managed")
        # The liaison sees it among their open tasks; the education liaison does not.
        mine = tk.tasks_for(s, liaison, today=TODAY, open_only=True)
        assert task_id in [r.id for r in mine]
        assert task_id not in [r.id for r in tk.tasks_for(s, _actor(county, "liaison_education"), today=TODAY)]
    progress = tk.add_progress(county, liaison, task_id, note="已完成入户随访 12 户", file_name="../../随访记录 2026.PDF",
                               file_bytes=PDF)
    with session_scope(county) as s:
        row = s.get(m.TaskProgress, progress)
        assert row.file_content == PDF and row.file_sha256 == hashlib.sha256(PDF).hexdigest()
        assert row.file_size == len(PDF) and row.file_name == "随访记录_2026.pdf"  # no folders, no spaces
        assert s.get(m.Task, task_id).state == "in_progress"
        assert tk.evidence_file(s, liaison, progress) == ("随访记录_2026.pdf", PDF)
        assert tk.evidence_file(s, _actor(county, "liaison_education"), progress) is None
        assert tk.evidence_file(s, _actor(county, "display"), progress) is None
    tk.add_progress(county, liaison, task_id, note="整改完毕", done=True)
    with session_scope(county) as s:
        task = s.get(m.Task, task_id)
        assert task.state == "done" and task.completed_at is not None
        row, notes = tk.task_detail(s, leader, task_id, today=dt.date(2027, 3, 1))
        assert row.status == tk.DONE and [n["state_after"] for n in notes] == ["in_progress", "done"]
    trail = _trail(county, "task.progress")
    assert [e.after["state"] for e in trail[-2:]] == ["in_progress", "done"]
    assert trail[-2].after["sha256"] == hashlib.sha256(PDF).hexdigest() and trail[-2].username == "liaison_health"


def test_another_departments_liaison_cannot_report_and_nothing_changes(county) -> None:  # noqa: ANN001
    ids = _ids(county)
    task_id = tk.create_task(county, _actor(county, "admin"), title="修订随访制度", department_id=ids["dept"]["health"],
                             deadline=dt.date(2026, 12, 31), today=TODAY)
    before = (_count(county, m.TaskProgress), _count(county, m.AuditEntry))
    with pytest.raises(PermissionDenied) as denied:
        tk.add_progress(county, _actor(county, "liaison_education"), task_id, note="越权填报")
    assert denied.value.key == "access.other_department_task"
    with pytest.raises(PermissionDenied):
        tk.add_progress(county, _actor(county, "display"), task_id, note="大屏")
    assert (_count(county, m.TaskProgress), _count(county, m.AuditEntry)) == before


@pytest.mark.parametrize("name, data, key", [
    ("run.exe", b"MZ\x90\x00", "tasks.err.file_type"),
    ("page.html", b"<script>alert(1)</script>", "tasks.err.file_type"),
    ("picture.svg", b"<svg onload=alert(1)>", "tasks.err.file_type"),
    ("no-extension", b"%PDF-1.4", "tasks.err.file_type"),
    ("renamed.pdf", b"MZ\x90\x00 not a pdf", "tasks.err.file_content"),
    ("photo.jpg", b"\x89PNG\r\n\x1a\n", "tasks.err.file_content"),
    ("empty.pdf", b"", "tasks.err.file_empty"),
    ("binary.txt", b"\x00\x01\x02\xff\xfe", "tasks.err.file_content"),
])
def test_evidence_files_are_checked_by_name_and_content(name: str, data: bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        tk.check_evidence(name, data)
    assert refused.value.key == key
    assert "未做任何更改" in refused.value.text("zh") or "已拒收" in refused.value.text("zh")


def test_evidence_accepts_office_files_and_gbk_text() -> None:
    assert tk.check_evidence("情况说明.txt", "北山乡已整改".encode("gbk")) == "情况说明.txt"
    assert tk.check_evidence("照片.JPG", b"\xff\xd8\xff\xe0rest") == "照片.jpg"
    assert tk.check_evidence("台账.xlsx", b"PK\x03\x04rest") == "台账.xlsx"


def test_a_file_over_the_limit_is_refused_and_nothing_is_written(county, monkeypatch) -> None:  # noqa: ANN001
    ids = _ids(county)
    monkeypatch.setattr(tk, "EVIDENCE_MAX_BYTES", 1000)
    task_id = tk.create_task(county, _actor(county, "leader"), title="大文件", department_id=ids["dept"]["health"],
                             deadline=dt.date(2026, 12, 31), today=TODAY)
    before = (_count(county, m.TaskProgress), _count(county, m.AuditEntry))
    with pytest.raises(InvalidInput) as refused:
        tk.add_progress(county, _actor(county, "liaison_health"), task_id, note="附件", file_name="big.pdf",
                        file_bytes=b"%PDF-" + b"x" * 2000)
    assert refused.value.key == "tasks.err.file_too_big"
    assert (_count(county, m.TaskProgress), _count(county, m.AuditEntry)) == before
    with session_scope(county) as s:
        assert s.get(m.Task, task_id).state == "not_started"


@pytest.mark.parametrize("kwargs, key", [
    (dict(title="   "), "admin.err.required"),
    (dict(title="x" * 201), "admin.err.too_long"),
    (dict(deadline=None), "tasks.err.deadline_missing"),
    (dict(deadline=dt.date(2026, 11, 22)), "tasks.err.deadline_past"),
    (dict(deadline=dt.date(2036, 1, 1)), "tasks.err.deadline_far"),
    (dict(department_id=None), "tasks.err.department_missing"),
    (dict(department_id=99999), "admin.err.not_found"),
])
def test_task_input_is_refused_with_a_message_and_nothing_changes(county, kwargs, key) -> None:  # noqa: ANN001
    ids = _ids(county)
    args = dict(title="任务", department_id=ids["dept"]["health"], deadline=dt.date(2026, 12, 31), today=TODAY)
    args.update(kwargs)
    before = (_count(county, m.Task), _count(county, m.AuditEntry))
    with pytest.raises(InvalidInput) as refused:
        tk.create_task(county, _actor(county, "leader"), **args)
    assert refused.value.key == key
    assert (_count(county, m.Task), _count(county, m.AuditEntry)) == before


def test_overdue_tasks_by_department_and_overdue_list(county) -> None:  # noqa: ANN001
    ids = _ids(county)
    leader = _actor(county, "leader")
    late = tk.create_task(county, leader, title="逾期任务", department_id=ids["dept"]["justice"],
                          deadline=dt.date(2026, 11, 25), today=TODAY)
    tk.create_task(county, leader, title="未到期任务", department_id=ids["dept"]["justice"],
                   deadline=dt.date(2027, 1, 31), today=TODAY)
    later = dt.date(2026, 12, 6)
    with session_scope(county) as s:
        # The sample's own tasks count too: compare with what was overdue before this test's task.
        sample = sum(1 for r in tk.list_tasks(s, today=later, department_id=ids["dept"]["justice"])
                     if r.status == tk.OVERDUE and r.id != late)
        assert tk.overdue_by_department(s, later).get("justice") == sample + 1
        row = next(r for r in tk.overdue(s, later) if r.id == late)
        assert row.status == tk.OVERDUE and row.days_overdue == 11
        assert late not in [r.id for r in tk.overdue(s, TODAY)]


def test_a_task_from_a_warning_is_linked_and_made_only_once(county) -> None:  # noqa: ANN001
    from data_access import indicators as ix
    from data_access import warnings as warn

    with session_scope(county) as s:
        flag = next(f for f in warn.early_warnings(s, ix.period_by_code(s, "2026Q3"))
                    if f.indicator == "rehab_participation")
        base = tk.warning_defaults(s, kind=flag.kind, region_code=flag.region_code, indicator_code=flag.indicator,
                                   period_code="2026Q3")
    # The indicator's owner department is the default; the title carries no figure (it may reach the screen).
    assert base["department_id"] == _ids(county)["dept"]["health"] and not any(ch.isdigit() for ch in base["title"])
    assert flag.region_zh in base["title"] and "%" in base["detail"]
    task_id = tk.create_task_from_warning(county, _actor(county, "leader"), kind=flag.kind,
                                          region_code=flag.region_code, indicator_code=flag.indicator,
                                          period_code="2026Q3", title=base["title"],
                                          department_id=base["department_id"], deadline=dt.date(2026, 12, 31),
                                          today=TODAY)
    with session_scope(county) as s:
        task = s.get(m.Task, task_id)
        assert task.source == "warning" and task.township.code == flag.region_code
        assert task.indicator.code == "rehab_participation" and task.detail == base["detail"]
    with pytest.raises(InvalidInput) as again:
        tk.create_task_from_warning(county, _actor(county, "admin"), kind=flag.kind, region_code=flag.region_code,
                                    indicator_code=flag.indicator, period_code="2026Q3", title="再来一次",
                                    department_id=base["department_id"], deadline=dt.date(2026, 12, 31), today=TODAY)
    assert again.value.key == "tasks.err.warning_has_task"


def test_a_meeting_record_and_its_decision_becomes_a_task_in_one_step(county) -> None:  # noqa: ANN001
    ids = _ids(county)
    leader = _actor(county, "leader")
    text = "1. 卫健委牵头，年底前完成北山乡患者随访\n\n2、教育局：西城街道学校心理辅导室年底前全部建成\n  - 各部门按时报送季度报表  "
    assert mt.parse_decisions(text) == ["卫健委牵头，年底前完成北山乡患者随访", "教育局：西城街道学校心理辅导室年底前全部建成",
                                        "各部门按时报送季度报表"]
    meeting_id = mt.record_meeting(county, leader, held_on=dt.date(2026, 11, 20), kind="joint",
                                   department_codes=["health", "education", "health"], topics="三季度工作推进",
                                   decisions=mt.parse_decisions(text), today=TODAY)
    with session_scope(county) as s:
        meeting = s.get(m.Meeting, meeting_id)
        assert meeting.departments_present == ["health", "education"]
        assert [d.text for d in meeting.decisions][1].startswith("教育局")
        first = meeting.decisions[0].id
    task_id = mt.decision_to_task(county, leader, first, department_id=ids["dept"]["health"],
                                  deadline=dt.date(2026, 12, 31), today=TODAY)
    with session_scope(county) as s:
        task = s.get(m.Task, task_id)
        assert (task.title, task.source, task.decision_id) == ("卫健委牵头，年底前完成北山乡患者随访", "meeting", first)
        listed = mt.list_meetings(s)[0]
        assert [d["task_id"] for d in listed["decisions"]] == [task_id, None, None]
        meeting, rows = mt.followup(s, dt.date(2027, 1, 5))
        assert meeting.id == meeting_id
        assert [(r.seq, r.status, r.department_zh) for r in rows] == [
            (1, tk.OVERDUE, "县卫生健康委员会"), (2, None, None), (3, None, None)]
    with pytest.raises(InvalidInput) as twice:
        mt.decision_to_task(county, leader, first, department_id=ids["dept"]["health"],
                            deadline=dt.date(2026, 12, 31), today=TODAY)
    assert twice.value.key == "meetings.err.decision_has_task"
    last = _trail(county, "meeting.record")[-1]
    assert (last.entity_id, last.username, last.after["departments"]) == (str(meeting_id), "leader",
                                                                          ["health", "education"])


@pytest.mark.parametrize("kwargs, key", [
    (dict(held_on=dt.date(2026, 12, 1)), "meetings.err.date_future"),
    (dict(held_on=None), "meetings.err.date_missing"),
    (dict(kind="party"), "meetings.err.kind"),
    (dict(topics="", decisions=[]), "meetings.err.empty"),
    (dict(department_codes=["nosuch"]), "meetings.err.department"),
    (dict(decisions=["决定" * 300]), "meetings.err.decision_too_long"),
])
def test_meeting_input_is_refused_and_nothing_changes(county, kwargs, key) -> None:  # noqa: ANN001
    args = dict(held_on=dt.date(2026, 11, 20), kind="joint", department_codes=["health"], topics="议题",
                decisions=["决定一"], today=TODAY)
    args.update(kwargs)
    before = (_count(county, m.Meeting), _count(county, m.MeetingDecision), _count(county, m.AuditEntry))
    with pytest.raises(InvalidInput) as refused:
        mt.record_meeting(county, _actor(county, "admin"), **args)
    assert refused.value.key == key
    assert (_count(county, m.Meeting), _count(county, m.MeetingDecision), _count(county, m.AuditEntry)) == before


def test_comments_are_added_read_and_withdrawn(county) -> None:  # noqa: ANN001
    leader, admin = _actor(county, "leader"), _actor(county, "admin")
    first = cm.add_comment(county, leader, indicator_code="smd_managed", region_code="990101001",
                           period_code="2026Q3", text=" 已约谈北山乡 ")
    cm.add_comment(county, admin, indicator_code="smd_managed", region_code="990101", period_code="2026Q3",
                   text="数据口径调整")
    def ours(rows: list[dict]) -> list[dict]:  # the sample ships comments of its own
        return [c for c in rows if c["username"] != "sample_data"]

    with session_scope(county) as s:
        shown = ours(cm.comments(s, "2026Q3", indicator_code="smd_managed"))
        assert [(c["text"], c["region_zh"]) for c in shown] == [("已约谈北山乡", "北山乡"), ("数据口径调整", "和安县")]
        assert [c["text"] for c in ours(cm.comments(s, "2026Q3", region_codes=["990101001"]))] == ["已约谈北山乡"]
        assert cm.comments(s, "2026Q2", indicator_code="smd_managed") == []
    with pytest.raises(InvalidInput):
        cm.withdraw_comment(county, _actor(county, "leader"), 
                            next(c["id"] for c in shown if c["text"] == "数据口径调整"))  # not the leader's own
    cm.withdraw_comment(county, leader, first)
    with session_scope(county) as s:
        assert [c["text"] for c in ours(cm.comments(s, "2026Q3", indicator_code="smd_managed"))] == ["数据口径调整"]
        assert s.get(m.Comment, first).text == "已约谈北山乡"  # kept, only withdrawn
    with pytest.raises(InvalidInput) as empty:
        cm.add_comment(county, leader, indicator_code="smd_managed", region_code="990101001", period_code="2026Q3",
                       text="   ")
    assert empty.value.key == "admin.err.required"
    with pytest.raises(PermissionDenied):
        cm.add_comment(county, _actor(county, "liaison_health"), indicator_code="smd_managed",
                       region_code="990101001", period_code="2026Q3", text="联络员不能批注")
