"""Overview: status, change, thresholds, outcome figures and 'needs attention', checked against SQL."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from view_helpers import html_links, html_tables, open_view, texts, trend_line
from data_access import models as m
from data_access.db import session_scope

PAGE = "pages/home.py"


def _sums(engine, code: str, period: str):  # noqa: ANN001, ANN202
    with session_scope(engine) as s:
        return s.execute(select(func.sum(m.Observation.numerator), func.sum(m.Observation.denominator),
                                func.sum(m.Observation.value))
                         .join(m.Indicator).join(m.Period, m.Period.id == m.Observation.period_id)
                         .where(m.Indicator.code == code, m.Period.code == period)).one()


def test_change_status_and_thresholds_per_indicator(app_engine) -> None:
    at = open_view(app_engine, PAGE)
    assert not at.exception
    frame = html_tables(at)[0].set_index("指标")
    n3, d3, _ = _sums(app_engine, "awareness_rural", "2026Q3")
    n2, d2, _ = _sums(app_engine, "awareness_rural", "2026Q2")
    row = frame.loc["农村普通人群心理健康核心知识知晓率"]
    assert row["当前值"] == f"{n3 / d3 * 100:.1f}%"
    from i18n.numbers import percent
    assert row["较上季度"] == f"{percent(n3 / d3 - n2 / d2, 1, sign=True)} 个百分点"
    assert row["达标线 / 接近线"] == "≥ 60% / ≥ 55%"   # target 60 %, near band 5 points
    expected = "达标" if n3 / d3 >= 0.6 else ("接近" if n3 / d3 >= 0.55 else "滞后")
    assert expected in row["状态"]
    assert frame.loc["主要医院心理门诊开设率", "达标线 / 接近线"] == "≥ 100% / ≥ 66%"
    # year-to-date sessions: the Q3 goal is 30 of 40, near from 27
    assert frame.loc["心理健康讲座和团体辅导场次（年度累计）", "达标线 / 接近线"] == "≥ 30 场 / ≥ 27 场"
    # the sparkline holds one point per quarter with data, oldest first, in per cent
    with session_scope(app_engine) as s:
        quarters = s.scalar(select(func.count(func.distinct(m.Observation.period_id))))
    trend = row["季度趋势"]
    assert len(trend) == quarters and round(trend[-1], 2) == round(n3 / d3 * 100, 2)
    # on hover the line's figures read as the value column writes them (rounded half up, with the unit)
    line = trend_line(at, "农村普通人群心理健康核心知识知晓率")
    shown = line.get("title").split(" → ")
    assert len(shown) == quarters and shown[-1] == row["当前值"] and line.get("alt") == line.get("title")


def test_outcome_figures_beside_the_targets(app_engine) -> None:
    at = open_view(app_engine, PAGE)
    metrics = {m_.label: m_ for m_ in at.metric}
    _, _, served = _sums(app_engine, "people_served", "2026Q3")
    _, _, served_before = _sums(app_engine, "people_served", "2026Q2")
    assert metrics["心理服务人次"].value == f"{served:,.0f} 人次"
    assert metrics["心理服务人次"].delta == f"{served - served_before:+,.0f}"
    num, den, _ = _sums(app_engine, "mediation_success", "2026Q3")
    assert metrics["矛盾纠纷调解成功率"].value == f"{num / den * 100:.1f}%"
    assert f"调解 {den:,.0f} 件，成功 {num:,.0f} 件" in texts(at)
    _, _, petitions = _sums(app_engine, "petitions", "2026Q3")
    assert metrics["信访件数"].value == f"{petitions:,.0f} 件"


def test_needs_attention_lists_late_and_missing_departments(app_engine) -> None:
    at = open_view(app_engine, PAGE, query={"period": "2026Q3"})
    page = texts(at)
    with session_scope(app_engine) as s:
        period = s.scalar(select(m.Period).where(m.Period.code == "2026Q3"))
        first = dict(s.execute(select(m.Department.name_zh, func.min(m.Submission.uploaded_at))
                               .join(m.Submission, m.Submission.department_id == m.Department.id)
                               .where(m.Submission.period_id == period.id).group_by(m.Department.name_zh)).all())
        owing = list(s.scalars(select(m.Department.name_zh).where(m.Department.reports_quarterly.is_(True))))
    for dept in owing:
        line = next((ln for ln in page.splitlines() if f"**{dept}**" in ln), None)
        at_ = first.get(dept)
        if at_ is None:
            assert line and "未报送" in line, dept
        elif at_.date() > period.deadline:
            assert line and f"迟报 {(at_.date() - period.deadline).days} 天" in line, dept
        else:
            assert line is None, dept
    # the worst township x indicator pairs, first row the largest shortfall
    attention = html_tables(at)[1]
    assert len(attention) > 0 and all(("滞后" in s_) or ("接近" in s_) for s_ in attention["状态"])
    # each row's indicator opens its detail for that township and period
    links = html_links(at)
    assert len(links) == len(attention) and all(h.startswith("indicator?indicator=") for h in links)
    assert all("period=2026Q3" in h and "township=" in h for h in links)


def test_english_keeps_the_period_and_no_exception(app_engine) -> None:
    at = open_view(app_engine, PAGE, lang="en", query={"period": "2026Q1"})
    assert not at.exception
    assert at.selectbox[0].value == "2026Q1"
    assert "target indicators, 2026 Q1" in texts(at)
    assert "Met from / near from" in html_tables(at)[0].columns
    assert all("lang=en" in h for h in html_links(at))


def test_period_without_data_says_so(engine) -> None:
    """A quarter that has ended with nothing reported: values show as missing, with a message."""
    import streamlit as st

    from data_access import db
    from sample_data.generate import generate

    if engine.dialect.name != "sqlite":
        return  # the page code is the same on both backends; one run is enough
    generate(engine)
    with session_scope(engine) as s:
        period = s.scalar(select(m.Period).where(m.Period.code == "2026Q3"))
        s.query(m.Observation).filter(m.Observation.period_id == period.id).delete()
    previous = db._engine
    db.set_engine(engine)
    st.cache_data.clear()
    try:
        at = open_view(engine, PAGE, query={"period": "2026Q3"})
        assert not at.exception
        assert "还没有任何报送数据" in texts(at)
        frame = html_tables(at)[0]
        smd = frame[frame["指标"] == "严重精神障碍患者规范管理率"].iloc[0]
        assert smd["当前值"] == "暂无数据"
    finally:
        st.cache_data.clear()
        if previous is not None:
            db.set_engine(previous)
    assert dt.date(2026, 9, 30) == period.end_date
