"""Assessment (考核), a worked example on both backends: a tiny county whose figures are known, two small
schemes, every item's points computed by hand (in the comments) and compared with what the product
computes and ranks; the rules one by one; the scheme's validation messages; adjustments audited."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, select

from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.assessment import rules, schemes, scores
from data_access.db import session_scope

ADMIN = Actor(None, "test-admin", "admin")
LEADER = Actor(None, "test-leader", "leader")
TODAY = dt.date(2026, 3, 1)          # every 2025 quarter has ended and is due


def _tiny_county(engine: Engine) -> None:
    """和安 990101 with three townships; health owns smd (target ≥ 90 %), propaganda owns awareness
    (≥ 80 %); the union reports nothing. 2025Q4 figures as in the worked example below."""
    with session_scope(engine) as s:
        c = s.connection()
        c.execute(insert(m.Region), [
            dict(id=1, code="990101", name_zh="和安县", name_en="Hean", level="county", path="/990101/"),
            *[dict(id=1 + i, code=f"99010100{i}", name_zh=n, name_en=n, level="township", parent_id=1,
                   path=f"/990101/99010100{i}/") for i, n in ((1, "东镇"), (2, "西镇"), (3, "北乡"))]])
        c.execute(insert(m.Department), [
            dict(id=1, code="health", name_zh="卫健委", name_en="Health", sort_order=1, reports_quarterly=True),
            dict(id=2, code="propaganda", name_zh="宣传部", name_en="Propaganda", sort_order=2, reports_quarterly=True),
            dict(id=3, code="union", name_zh="总工会", name_en="Union", sort_order=3, reports_quarterly=False)])
        c.execute(insert(m.Indicator), [
            dict(id=1, code="smd", name_zh="规范管理率", name_en="SMD managed", kind="ratio", unit="%",
                 owner_department_id=1, sort_order=1),
            dict(id=2, code="awareness", name_zh="知晓率", name_en="Awareness", kind="ratio", unit="%",
                 owner_department_id=2, sort_order=2)])
        c.execute(insert(m.Target), [
            dict(indicator_id=1, value=0.9, comparison=">=", target_date=dt.date(2025, 12, 31),
                 effective_from=dt.date(2024, 1, 1), near_band=0.05),
            dict(indicator_id=2, value=0.8, comparison=">=", target_date=dt.date(2025, 12, 31),
                 effective_from=dt.date(2024, 1, 1), near_band=0.05)])
        ends = {1: dt.date(2025, 3, 31), 2: dt.date(2025, 6, 30), 3: dt.date(2025, 9, 30), 4: dt.date(2025, 12, 31)}
        c.execute(insert(m.Period), [dict(id=q, code=f"2025Q{q}", year=2025, quarter=q,
                                          start_date=dt.date(2025, 3 * q - 2, 1), end_date=ends[q],
                                          deadline=ends[q] + dt.timedelta(days=15)) for q in ends])
        # health: Q1 on time, Q2 three days late, Q3 on time, Q4 missing; propaganda: all on time.
        subs = [(1, 1, 5), (2, 1, 18), (3, 1, 10), (4, 2, 5), (5, 2, 5), (6, 2, 5), (7, 2, 5)]
        quarter_of = {1: 1, 2: 2, 3: 3, 4: 1, 5: 2, 6: 3, 7: 4}
        c.execute(insert(m.Submission), [dict(
            id=i, department_id=d, period_id=quarter_of[i], filename="x.xlsx", sha256=f"{i:064d}", status="accepted",
            uploaded_at=dt.datetime.combine(ends[quarter_of[i]] + dt.timedelta(days=day), dt.time(10)))
            for i, d, day in subs])
        obs = [(1, 2, 45, 50), (1, 3, 40, 50),                    # smd: 东镇 90 %, 西镇 80 %, 北乡 no figure
               (2, 2, 30, 40), (2, 3, 35, 40), (2, 4, 26, 40)]    # awareness: 75 %, 87.5 %, 65 %
        c.execute(insert(m.Observation), [dict(indicator_id=i, region_id=r, period_id=4, numerator=n, denominator=d,
                                               value=n / d) for i, r, n, d in obs])


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    _tiny_county(engine)
    return engine


TOWNSHIP_SCHEME = [
    dict(kind="indicator", indicator_code="smd", points=40, rule="proportional", floor=0.6),   # target: in force, 90 %
    dict(kind="indicator", indicator_code="awareness", points=30, rule="target", target=0.8),
    dict(kind="indicator", indicator_code="awareness", label_zh="知晓率（提升）", points=5, rule="proportional",
         floor="50%", target="90%"),
]
DEPARTMENT_SCHEME = [
    dict(kind="reporting", points=20, rule="deduction", deduction=5),
    dict(kind="indicator", indicator_code="smd", points=30, rule="target"),
    dict(kind="indicator", indicator_code="awareness", points=30, rule="proportional", floor=0.6),
]


def _by_code(result: scores.Result) -> dict[str, scores.SubjectScore]:
    return {r.code: r for r in result.rows}


def test_worked_example_townships(tiny) -> None:  # noqa: ANN001
    schemes.save_scheme(tiny, ADMIN, 2025, "township", TOWNSHIP_SCHEME)
    schemes.add_adjustment(tiny, LEADER, 2025, "township", "990101003", 5, "北乡汛期抢险，酌情加分")
    schemes.add_adjustment(tiny, LEADER, 2025, "township", "990101001", -1.5, "东镇迟报数据一次")
    with session_scope(tiny) as s:
        result = scores.compute(s, 2025, "township", TODAY)
    assert result.as_of == "2025Q4" and result.full_points == 75
    rows = _by_code(result)
    # 东镇: smd 90 % meets 90 % -> 40; awareness 75 % < 80 % -> 0;
    #       (0.75 - 0.5) / (0.9 - 0.5) * 5 = 3.125 -> 3.13 (half up; round() would give 3.12); 43.13 - 1.5 = 41.63
    # 西镇: (0.8 - 0.6) / (0.9 - 0.6) * 40 = 26.666.. -> 26.67; 87.5 % -> 30; 0.9375 * 5 = 4.6875 -> 4.69; 61.36
    # 北乡: smd missing -> 0 (no data); 65 % -> 0; 0.375 * 5 = 1.875 -> 1.88; + 5 = 6.88
    assert [ln.earned for ln in rows["990101001"].items] == [40.0, 0.0, 3.13]
    assert [ln.earned for ln in rows["990101002"].items] == [26.67, 30.0, 4.69]
    assert [ln.earned for ln in rows["990101003"].items] == [0.0, 0.0, 1.88]
    assert rows["990101003"].items[0].note == scores.NO_DATA and rows["990101001"].items[0].target == 0.9
    assert {c: (r.earned, r.adjustment, r.total, r.rank) for c, r in rows.items()} == {
        "990101001": (43.13, -1.5, 41.63, 2), "990101002": (61.36, 0.0, 61.36, 1), "990101003": (1.88, 5.0, 6.88, 3)}
    assert [r.code for r in result.rows] == ["990101002", "990101001", "990101003"]
    assert rows["990101003"].adjustments[0]["reason"] == "北乡汛期抢险，酌情加分"


def test_worked_example_departments(tiny) -> None:  # noqa: ANN001
    schemes.save_scheme(tiny, ADMIN, 2025, "department", DEPARTMENT_SCHEME)
    with session_scope(tiny) as s:
        result = scores.compute(s, 2025, "department", TODAY)
    rows = _by_code(result)
    # The union owes no sheet and owns no indicator: not scored.
    assert set(rows) == {"health", "propaganda"}
    health, propaganda = rows["health"], rows["propaganda"]
    # health: Q2 late + Q4 missing = 2 misses -> 20 - 2 * 5 = 10; county smd 85/100 = 85 % < 90 % -> 0;
    #         awareness is not its item. 10 of 50 applicable points, scaled to 80: 10 * 80 / 50 = 16.00
    assert [(ln.earned, ln.note) for ln in health.items] == [(10.0, ""), (0.0, ""), (None, scores.NOT_APPLICABLE)]
    assert (health.items[0].due, health.items[0].misses) == (4, 2)
    assert (health.earned, health.applicable, health.total) == (10.0, 50.0, 16.0)
    # propaganda: 4 on time -> 20; county awareness 91/120 = 75.83 %: (0.7583 - 0.6) / 0.2 * 30 = 23.75;
    #             43.75 of 50, scaled: 43.75 * 80 / 50 = 70.00
    assert [ln.earned for ln in propaganda.items] == [20.0, None, 23.75]
    assert (propaganda.total, propaganda.rank, health.rank) == (70.0, 1, 2)


def test_rules_one_by_one() -> None:
    assert rules.score("target", 10, value=0.8, target=0.8) == Decimal("10.00")
    assert rules.score("target", 10, value=0.79, target=0.8) == Decimal("0.00")
    assert rules.score("target", 10, value=3, target=5, higher_is_better=False) == Decimal("10.00")
    assert rules.score("proportional", 10, value=0.5, target=0.9, floor=0.5) == Decimal("0.00")
    assert rules.score("proportional", 10, value=0.4, target=0.9, floor=0.5) == Decimal("0.00")
    assert rules.score("proportional", 10, value=0.95, target=0.9, floor=0.5) == Decimal("10.00")
    # lower is better: floor 10 petitions, target 4; 7 is half way
    assert rules.score("proportional", 10, value=7, target=4, floor=10, higher_is_better=False) == Decimal("5.00")
    assert rules.score("deduction", 10, deduction=3, misses=2) == Decimal("4.00")
    assert rules.score("deduction", 10, deduction=3, misses=5) == Decimal("0.00")
    assert rules.score("proportional", 10, value=None, target=0.9, floor=0.5) is None
    assert rules.half_up(2.675) == Decimal("2.68") and round(2.675, 2) == 2.67


@pytest.mark.parametrize("item, words", [
    (dict(kind="indicator", indicator_code="nosuch", points=10, rule="target"), "nosuch"),
    (dict(kind="indicator", indicator_code="smd", points=0, rule="target"), "分值"),
    (dict(kind="indicator", indicator_code="smd", points="十", rule="target"), "十"),
    (dict(kind="indicator", indicator_code="smd", points=10, rule="deduction", deduction=1), "规则"),
    (dict(kind="indicator", indicator_code="smd", points=10, rule="proportional"), "下限"),
    (dict(kind="indicator", indicator_code="smd", points=10, rule="proportional", floor=0.95), "下限"),
    (dict(kind="indicator", indicator_code="smd", points=10, rule="target", target=80), "0%"),
    (dict(kind="reporting", points=10, rule="deduction", deduction=2), "乡镇"),
    (dict(kind="tasks", points=10, rule="deduction"), "每次扣分"),
])
def test_a_wrong_item_is_refused_with_its_number_and_nothing_changes(tiny, item, words) -> None:  # noqa: ANN001
    schemes.save_scheme(tiny, ADMIN, 2025, "township", TOWNSHIP_SCHEME)
    with session_scope(tiny) as s:
        before = schemes.scheme_dict(s, 2025, "township")["items"]
    with pytest.raises(InvalidInput) as refused:
        schemes.save_scheme(tiny, ADMIN, 2025, "township", [TOWNSHIP_SCHEME[0], item])
    text = refused.value.text()
    assert "第 2 项" in text and words in text, text
    with session_scope(tiny) as s:
        assert schemes.scheme_dict(s, 2025, "township")["items"] == before


def test_writes_check_the_role_and_are_audited(tiny) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        schemes.save_scheme(tiny, LEADER, 2025, "township", TOWNSHIP_SCHEME)
    schemes.save_scheme(tiny, ADMIN, 2025, "township", TOWNSHIP_SCHEME)
    with pytest.raises(PermissionDenied):
        schemes.add_adjustment(tiny, Actor(None, "x", "liaison", 1), 2025, "township", "990101001", 2, "理由写清楚")
    for points, reason in ((2, "短"), (0, "理由写清楚了"), (500, "理由写清楚了"), ("abc", "理由写清楚了")):
        with pytest.raises(InvalidInput):
            schemes.add_adjustment(tiny, LEADER, 2025, "township", "990101001", points, reason)
    with pytest.raises(InvalidInput):
        schemes.add_adjustment(tiny, LEADER, 2025, "township", "nosuch", 2, "理由写清楚了")
    schemes.copy_scheme(tiny, ADMIN, 2025, 2026, "township")
    with pytest.raises(InvalidInput):
        schemes.copy_scheme(tiny, ADMIN, 2025, 2026, "township")
    with session_scope(tiny) as s:
        assert s.scalar(select(m.AssessmentAdjustment.id)) is None
        assert schemes.years(s) == [2026, 2025]
        assert len(schemes.scheme_dict(s, 2026, "township")["items"]) == 3
        actions = [e.action for e in s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id))]
    assert actions == ["assessment.scheme", "assessment.scheme"]


def test_excel_export_opens_is_injection_safe_and_rounds_half_up(tiny) -> None:  # noqa: ANN001
    import io

    import openpyxl

    from data_access.assessment import export

    schemes.save_scheme(tiny, ADMIN, 2025, "township", TOWNSHIP_SCHEME)
    schemes.add_adjustment(tiny, LEADER, 2025, "township", "990101002", 1, '=HYPERLINK("http://x","点我")')
    with session_scope(tiny) as s:
        result = scores.compute(s, 2025, "township", TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(export.to_excel(result)))
    ranking, items, adjustments = wb.worksheets
    assert ranking.title == "考核结果" and "2025年度乡镇（街道）考核结果" in ranking["A1"].value
    header = [c.value for c in ranking[2]]
    assert header[:2] == ["名次", "名称"] and header[-1] == "总分"
    rows = {r[1]: r for r in ranking.iter_rows(min_row=3, values_only=True)}
    assert rows["东镇"][2:5] == (40.0, 0.0, 3.13) and rows["西镇"][-1] == 62.36 and rows["西镇"][0] == 1
    # every cell is a value, none a formula; the reason typed as a formula stays text
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    reason = [r[2] for r in adjustments.iter_rows(min_row=2, values_only=True)]
    assert reason == ['=HYPERLINK("http://x","点我")']
    assert adjustments["C2"].data_type == "s" and adjustments["C2"].quotePrefix
    # rates are numbers shown as 0.0 % (Excel rounds half up), points with two places
    detail = list(items.iter_rows(min_row=2))
    east_awareness = next(r for r in detail if r[0].value == "东镇" and r[1].value == "知晓率（提升）")
    assert east_awareness[4].value == 0.75 and east_awareness[4].number_format == "0.0%"
    assert east_awareness[7].value == 3.13 and east_awareness[7].number_format == "0.00"
    north = next(r for r in detail if r[0].value == "北乡" and r[1].value == "规范管理率")
    assert north[4].value is None and "无数据" in north[8].value


def test_pdf_export_has_the_scores_in_chinese(tiny) -> None:  # noqa: ANN001
    import shutil
    import subprocess

    from data_access.assessment import export

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) missing: make test installs it")
    schemes.save_scheme(tiny, ADMIN, 2025, "township", TOWNSHIP_SCHEME)
    with session_scope(tiny) as s:
        result = scores.compute(s, 2025, "township", TODAY)
    pdf = export.to_pdf(result)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "2025年度乡镇（街道）考核结果" in text and "西镇" in text and "61.36" in text and "3.13" in text


@pytest.mark.skipif(not hasattr(m, "Task"), reason="the task register (督办, branch tasks) is not on this tree yet")
def test_tasks_done_on_time_item_reads_the_task_register(tiny) -> None:  # noqa: ANN001
    # health: one task done on time, one done late, one still open past its deadline, one not due yet;
    # propaganda: one done on time. Deduction 4 a miss from 12 points.
    at = dt.datetime(2025, 1, 1, 9)
    tasks = [(1, dt.date(2025, 6, 30), "done", dt.datetime(2025, 6, 20, 9)),
             (1, dt.date(2025, 6, 30), "done", dt.datetime(2025, 7, 3, 9)),
             (1, dt.date(2025, 9, 30), "in_progress", None),
             (1, dt.date(2026, 6, 30), "not_started", None),
             (2, dt.date(2025, 3, 31), "done", dt.datetime(2025, 3, 30, 9))]
    with session_scope(tiny) as s:
        for i, (dept, deadline, state, done_at) in enumerate(tasks):
            s.add(m.Task(title=f"任务{i}", owner_department_id=dept, deadline=deadline, state=state,
                         created_at=at, completed_at=done_at))
    items = [dict(kind="tasks", points=12, rule="deduction", deduction=4),
             dict(kind="tasks", points=10, rule="proportional", floor=0)]
    schemes.save_scheme(tiny, ADMIN, 2025, "department", items)
    with session_scope(tiny) as s:
        rows = _by_code(scores.compute(s, 2025, "department", TODAY))
    health, propaganda = rows["health"].items, rows["propaganda"].items
    # health: 3 due, 2 misses -> 12 - 8 = 4; on time 1/3 -> 10 * 1/3 = 3.33
    assert [(ln.due, ln.misses, ln.earned) for ln in health] == [(3, 2, 4.0), (3, 2, 3.33)]
    assert [ln.earned for ln in propaganda] == [12.0, 10.0]
    # the union has no task due (and nothing else to assess): not scored
    assert "union" not in rows
