"""考核结果 and 考核方案 pages (AppTest): the sample's scores with ranks and exports, an adjustment with a
reason through the form (refused without one, nothing changes), a scheme edited in the editor, a
township's score on its profile; a liaison cannot open them."""
from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access.db import session_scope
from helpers import open_page, signed_in


def _button(at, label: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.label == label)


def _adjustments(engine) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(m.AssessmentAdjustment))


def test_leader_sees_scores_ranks_and_breakdown(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/assessment.py", state=signed_in(app_engine, "leader"),
                   query={"year": "2025", "subject": "township"})
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 13 and list(table["名次"])[0] == 1
    assert "数据截至 2025Q4" in " ".join(c.value for c in at.caption)
    breakdown = at.dataframe[1].value
    assert len(breakdown) == 5 and "得分" in breakdown.columns
    assert [b for b in at.get("download_button")]  # Excel (and PDF) offered


def test_adjustment_needs_a_reason_then_is_recorded(writable_app) -> None:  # noqa: ANN001
    engine = writable_app
    at = open_page("pages/assessment.py", state=signed_in(engine, "leader"), query={"year": "2025"})
    before = _adjustments(engine)
    at.number_input(key="assess_adjust_points").set_value(3.0)
    at.text_input(key="assess_adjust_reason").input("好")
    _button(at, "保存加减分").click()
    at.run()
    assert "至少" in at.error[0].value and _adjustments(engine) == before
    at.text_input(key="assess_adjust_reason").input("组织开展心理援助志愿服务")
    _button(at, "保存加减分").click()
    at.run()
    assert not at.error and "已为" in at.success[0].value
    assert _adjustments(engine) == before + 1
    assert ("leader", "assessment.adjust") in audit_actions(engine)


def test_admin_edits_the_scheme(writable_app) -> None:  # noqa: ANN001
    engine = writable_app
    at = open_page("pages/admin_assessment.py", state=signed_in(engine, "admin"))
    assert not at.exception
    at.selectbox(key="scheme_year").set_value(2025).run()
    assert not at.exception
    name = at.text_input(key="scheme_name_2025_township")
    name.input("2025年度乡镇考核（修订）")
    _button(at, "保存考核方案").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with session_scope(engine) as s:
        scheme = s.scalar(select(m.AssessmentScheme).where(m.AssessmentScheme.year == 2025,
                                                           m.AssessmentScheme.subject == "township"))
        assert scheme.name_zh == "2025年度乡镇考核（修订）" and len(scheme.items) == 5
        assert scheme.items[0].floor == 0.5   # shown as 50%, read back as 50 % (not 5000 %)


def test_township_profile_shows_its_score(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/township.py", state=signed_in(app_engine, "leader"),
                   query={"period": "2025Q4", "township": "990101001"})
    assert not at.exception
    links = [p.label for p in at.get("page_link")]
    assert any("2025 年度考核" in label and "名" in label for label in links), links
    at = open_page("pages/township.py", state=signed_in(app_engine, "liaison"),
                   query={"period": "2025Q4", "township": "990101001"})
    assert not any("年度考核" in p.label for p in at.get("page_link"))
