"""The sample county's steering follow-up, so a new user sees the features filled: two past meetings
with decisions (most of them made tasks), a task from an early warning with progress and an evidence
file, some tasks overdue, leaders' comments on 2026Q3 figures.

Written through the same data_access calls as the pages (role checks, audit rows), as the sample's
own actor; dates are fixed to the sample's history (the meetings review 2026Q2 and 2026Q3), so what
is overdue follows from today's date like everywhere else.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from data_access import comments as cm
from data_access import meetings as mt
from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor
from data_access.db import session_scope

TOWNSHIP = "990101001"  # 北山乡: a township the sample leaves behind on several indicators

# (held on, kind, departments present, topics, [(decision, owner department or None, deadline, progress)])
# progress: [(note, done)] written after the task was made.
MEETINGS = [
    (dt.date(2026, 7, 24), "leading_group", ["zongzhi", "health", "education", "justice", "union", "propaganda"],
     "听取二季度社会心理服务体系建设进展汇报；研究村（社区）心理咨询室建设滞后问题。",
     [("县卫生健康委员会牵头，9月底前完成北山乡、黄岭乡严重精神障碍患者随访复核", "health", dt.date(2026, 9, 30),
       [("已完成北山乡随访复核，黄岭乡完成八成", False), ("两乡随访复核全部完成，台账已更新", True)]),
      ("县委政法委督促和安经济开发区年内建成社区心理咨询室", "zongzhi", dt.date(2026, 12, 31),
       [("园区两个社区已选址，正在装修", False)]),
      ("县总工会按时报送季度报表，10月15日前交三季度报表", "union", dt.date(2026, 10, 15), [])]),
    (dt.date(2026, 10, 23), "joint", ["zongzhi", "health", "education", "justice", "petition", "union"],
     "通报三季度目标指标完成情况和预警；部署四季度重点工作。",
     [("县教育局年底前完成西城街道、东城街道中小学心理辅导室建设", "education", dt.date(2026, 12, 31), []),
      ("县司法局11月底前对北山乡特殊人群开展个性化心理疏导", "justice", dt.date(2026, 11, 30),
       [("已对北山乡 3 个村开展疏导", False)]),
      ("县总工会10月底前补报三季度报表", "union", dt.date(2026, 10, 31), []),
      ("各乡镇加强心理健康核心知识宣传，农村知晓率年底达到 60%", None, None, [])]),
]

COMMENTS = [
    ("smd_managed", TOWNSHIP, "已约谈北山乡卫生院，要求年底前完成随访复核"),
    ("room_coverage", "990101013", "园区新建社区较多，咨询室在建"),
    ("awareness_rural", "990101", "三季度起知晓率调查改为入户问卷"),
]

EVIDENCE_NAME = "北山乡康复参与情况说明.txt"
EVIDENCE = "北山乡居家患者社区康复参与情况说明\n已联系各村卫生室，逐户动员参加社区康复活动。\n".encode("utf-8")


def write_followup(engine: Engine, actor: Actor) -> None:
    """Meetings, tasks, progress and comments of the sample county (a county deployment only)."""
    from data_access import indicators as ix

    with session_scope(engine) as s:
        root = ix.root_region(s)
        if root is None or root.level != "county" or ix.region_by_code(s, TOWNSHIP) is None:
            return  # the province data set: no follow-up sample
        depts = {d.code: d.id for d in s.scalars(select(m.Department))}
    for held_on, kind, present, topics, decisions in MEETINGS:
        meeting_id = mt.record_meeting(engine, actor, held_on=held_on, kind=kind, department_codes=present,
                                       topics=topics, decisions=[d[0] for d in decisions], today=held_on)
        with session_scope(engine) as s:
            ids = [d.id for d in s.get(m.Meeting, meeting_id).decisions]
        for decision_id, (_, owner, deadline, progress) in zip(ids, decisions):
            if owner is None:
                continue  # left as a decision without a task: the follow-up slide says so
            task_id = mt.decision_to_task(engine, actor, decision_id, department_id=depts[owner], deadline=deadline,
                                          today=held_on)
            for note, done in progress:
                tk.add_progress(engine, actor, task_id, note=note, done=done)

    # A task from an early warning of 2026Q3, with a progress note and an evidence file.
    from data_access import warnings as warn

    with session_scope(engine) as s:
        flag = next((f for f in warn.early_warnings(s, ix.period_by_code(s, "2026Q3"))
                     if f.region_code == TOWNSHIP and f.indicator == "rehab_participation"), None)
        base = tk.warning_defaults(s, kind=flag.kind, region_code=flag.region_code, indicator_code=flag.indicator,
                                   period_code="2026Q3") if flag else None
    if base is not None:
        task_id = tk.create_task_from_warning(
            engine, actor, kind=flag.kind, region_code=flag.region_code, indicator_code=flag.indicator,
            period_code="2026Q3", title=base["title"], department_id=base["department_id"],
            deadline=dt.date(2026, 12, 20), today=dt.date(2026, 10, 28))
        tk.add_progress(engine, actor, task_id, note="已动员北山乡 5 个村卫生室开展入户康复指导",
                        file_name=EVIDENCE_NAME, file_bytes=EVIDENCE)

    for indicator, region, text in COMMENTS:
        cm.add_comment(engine, actor, indicator_code=indicator, region_code=region, period_code="2026Q3", text=text)
