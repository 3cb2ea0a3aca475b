"""The briefing's follow-up slide ("上次会议决定事项落实情况") and comments beside the figures: from the
database into the content, the deck and the PDF; nothing on it that reveals a count."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from pptx import Presentation
from sqlalchemy import select

from data_access import meetings as mt
from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor
from data_access.briefing import content, pdf, pptx
from data_access.briefing.content import SLIDES
from data_access.db import session_scope

DAY = dt.date(2026, 12, 6)
ADMIN = Actor(None, "test", "admin")


def _briefing(engine, today: dt.date = DAY, lang: str = "zh") -> content.Briefing:  # noqa: ANN001
    with session_scope(engine) as s:
        return content.assemble(s, "2026Q3", lang, today=today)


def test_the_last_meeting_its_decisions_tasks_and_statuses(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    assert b.followup_meeting == "2026年10月23日 联席会议"
    with session_scope(sample_engine) as s:
        meeting = s.scalar(select(m.Meeting).where(m.Meeting.held_on == dt.date(2026, 10, 23)))
        tasks = {t.decision_id: t for t in s.scalars(select(m.Task).where(m.Task.decision_id.is_not(None)))}
        expected = []
        for d in meeting.decisions:
            t = tasks.get(d.id)
            expected.append((d.seq, d.text, t.owner.name_zh if t else "—",
                             tk.status_of(t.state, t.deadline, DAY) if t else "none"))
    assert [(i.seq, i.decision, i.owner, i.status) for i in b.followup] == expected
    assert [i.status for i in b.followup] == ["not_started", "overdue", "overdue", "none"]
    assert b.followup[3].status_text == "— 未转为任务" and b.followup[1].status_text == "✖ 逾期"
    # Other overdue tasks (the earlier meeting's), not repeated from the table above.
    assert [o.title for o in b.overdue_tasks] == ["县总工会按时报送季度报表，10月15日前交三季度报表"]
    assert b.overdue_tasks[0].text == "✖ 逾期 52 天"
    # On the day of the first meeting, that meeting is the one followed up.
    early = _briefing(sample_engine, today=dt.date(2026, 8, 1))
    assert early.followup_meeting.startswith("2026年7月24日") and len(early.followup) == 3
    assert _briefing(sample_engine, today=dt.date(2026, 7, 1)).followup_meeting is None
    lead = content.followup_lead(b)
    assert "决定事项 4 项" in lead and "逾期 2 项" in lead and "未转为任务 1 项" in lead


def test_comments_beside_the_figure(sample_engine) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    by_code = {f.code: f for f in b.targets}
    assert by_code["smd_managed"].comments == ["北山乡：已约谈北山乡卫生院，要求年底前完成随访复核"]
    assert by_code["awareness_rural"].comments == ["三季度起知晓率调查改为入户问卷"]  # the county's own: no area
    assert by_code["school_rooms"].comments == []
    assert _briefing(sample_engine, lang="en") is not None


def _slide_texts(slide) -> str:  # noqa: ANN001
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(out)


def test_deck_and_pdf_carry_the_follow_up_slide_and_the_comments(sample_engine, tmp_path, artifacts) -> None:  # noqa: ANN001
    b = _briefing(sample_engine)
    deck = Presentation(io.BytesIO(pptx.build_deck(b)))
    slides = list(deck.slides)
    assert len(slides) == len(SLIDES)
    follow = _slide_texts(slides[SLIDES.index("followup")])
    assert "上次会议决定事项落实情况" in follow and "县司法局11月底前对北山乡特殊人群开展个性化心理疏导" in follow
    assert "未转为任务" in follow and "逾期" in follow and "县总工会按时报送季度报表，10月15日前交三季度报表" in follow
    assert "北山乡：已约谈北山乡卫生院" in _slide_texts(slides[SLIDES.index("overview")])
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils missing: make system-deps")
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf.build_pdf(b))
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    page = pages[SLIDES.index("followup")].replace(" ", "")
    assert "上次会议决定事项落实情况" in page and "未转为任务" in page and "县总工会" in page
    assert "已约谈北山乡卫生院" in pages[SLIDES.index("overview")].replace(" ", "")
    (artifacts / "briefing-followup.pdf").write_bytes(path.read_bytes())


def test_a_task_from_a_warning_brings_no_figure_onto_the_slide(county) -> None:  # noqa: ANN001
    """The warning's reason (with its figures) stays in the task's detail; the slide shows the title."""
    from data_access import indicators as ix
    from data_access import warnings as warn

    with session_scope(county) as s:
        flag = next(f for f in warn.early_warnings(s, ix.period_by_code(s, "2026Q3"))
                    if f.region_code == "990101013")  # the industrial park: the sample's small counts
        base = tk.warning_defaults(s, kind=flag.kind, region_code=flag.region_code, indicator_code=flag.indicator,
                                   period_code="2026Q3")
        health = s.scalar(select(m.Department.id).where(m.Department.code == "health"))
    task_id = tk.create_task_from_warning(county, ADMIN, kind=flag.kind, region_code=flag.region_code,
                                          indicator_code=flag.indicator, period_code="2026Q3", title=base["title"],
                                          department_id=health, deadline=dt.date(2026, 11, 30),
                                          today=dt.date(2026, 11, 1))
    meeting = mt.record_meeting(county, ADMIN, held_on=dt.date(2026, 11, 2), kind="joint", department_codes=[],
                                topics=None, decisions=["园区问题由卫健委牵头整改"], today=dt.date(2026, 11, 2))
    b = _briefing(county)
    shown = [o.title for o in b.overdue_tasks] + [x for i in b.followup for x in (i.decision, i.task, i.owner)]
    assert base["title"] in shown and meeting
    assert flag.reason("zh") not in "\n".join(shown) and not any(ch.isdigit() for ch in base["title"])
    with session_scope(county) as s:
        assert flag.reason("zh") in s.get(m.Task, task_id).detail


def test_small_numbers_of_people_in_leaders_words_are_screened_on_every_slide(county, tmp_path) -> None:  # noqa: ANN001
    """A comment, a decision and a task title that name "3名" reach the meeting screen, the PPTX and
    the PDF as "*名"; the stored words stay as written."""
    from data_access import comments as cm

    leader = Actor(None, "leader", "leader")
    cm.add_comment(county, leader, indicator_code="smd_managed", region_code="990101013", period_code="2026Q3",
                   text="园区3名患者未随访")
    mt.record_meeting(county, ADMIN, held_on=dt.date(2026, 11, 2), kind="joint", department_codes=[], topics=None,
                      decisions=["园区2名失访患者由卫健委本月找回"], today=dt.date(2026, 11, 2))
    b = _briefing(county)
    shown = [c for f in b.targets + b.outcomes for c in f.comments] + [i.decision for i in b.followup]
    assert "和安经济开发区：园区*名患者未随访" in shown and "园区*名失访患者由卫健委本月找回" in shown
    assert not any("3名" in x or "2名" in x for x in shown)
    deck = Presentation(io.BytesIO(pptx.build_deck(b)))
    text = "\n".join(sh.text_frame.text for slide in deck.slides for sh in slide.shapes if sh.has_text_frame)
    text += "\n".join(cell.text for slide in deck.slides for sh in slide.shapes if sh.has_table
                      for row in sh.table.rows for cell in row.cells)
    assert "*名" in text and "3名" not in text and "2名" not in text
    with session_scope(county) as s:
        assert "园区3名患者未随访" in set(s.scalars(select(m.Comment.text)))
