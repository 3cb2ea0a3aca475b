"""Home = Overview: the county's value, target and status for every target indicator, from the database."""
from __future__ import annotations

from sqlalchemy import func, select

from helpers import open_page, signed_in
from view_helpers import html_tables
from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope


def _county_sum(engine, code: str, period: str) -> tuple[float, float, float]:
    """sum(numerator), sum(denominator), sum(value) straight from observations."""
    with session_scope(engine) as s:
        return s.execute(select(func.sum(m.Observation.numerator), func.sum(m.Observation.denominator),
                                func.sum(m.Observation.value))
                         .join(m.Indicator).join(m.Period, m.Period.id == m.Observation.period_id)
                         .where(m.Indicator.code == code, m.Period.code == period)).one()


def test_home_lists_every_target_indicator_with_its_value(app_engine) -> None:
    at = open_page(state=signed_in(app_engine, "leader"))
    assert not at.exception
    targets = html_tables(at)[0]
    with session_scope(app_engine) as s:
        n_targets = s.scalar(select(func.count(m.Indicator.id)).where(m.Indicator.is_target.is_(True)))
    assert len(targets) == n_targets
    num, den, _ = _county_sum(app_engine, "smd_managed", "2026Q3")
    row = targets[targets["指标"] == "严重精神障碍患者规范管理率"].iloc[0]
    assert row["当前值"] == f"{num / den * 100:.1f}%"
    assert row["目标"] == "≥ 90%"
    # The union's sheet for 2026Q3 is missing: shown as missing, not as zero.
    union = targets[targets["指标"].str.startswith("持证心理咨询师")].iloc[0]
    assert union["当前值"] == "暂无数据" and "无数据" in union["状态"]


def test_home_period_from_the_url_and_english(app_engine) -> None:
    at = open_page(lang="en", query={"period": "2025Q4"}, state=signed_in(app_engine, "leader"))
    assert not at.exception
    assert at.selectbox[0].value == "2025Q4"
    with session_scope(app_engine) as s:
        expected = {r.code: r for r in ix.region_summary(s, ix.period_by_code(s, "2025Q4"), ix.root_region(s))}
    frame = html_tables(at)[0]
    room = expected["room_coverage"]
    row = frame[frame["Indicator"] == room.name_en]
    assert row.iloc[0]["Value"] == f"{room.value * 100:.1f}%"


def test_unknown_period_in_url_falls_back_to_latest(app_engine) -> None:
    at = open_page(query={"period": "1999Q9"}, state=signed_in(app_engine, "leader"))
    assert not at.exception
    assert at.selectbox[0].value == "2026Q3"
    assert any("1999Q9" in w.value for w in at.warning)


def test_a_run_through_the_app_looks_the_session_up_once(app_engine, monkeypatch) -> None:
    """app.py checks the session before running the page; the page's own guard (for runs without
    app.py) then trusts that check instead of asking the database again (issue 18: per click)."""
    from ui import auth

    calls = []
    real = auth.enforce_session
    monkeypatch.setattr(auth, "enforce_session", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = open_page(state=signed_in(app_engine, "leader"))
    assert not at.exception and len(html_tables(at)) >= 1   # the page ran to its tables
    assert len(calls) == 1


def test_shared_overview_tables_follow_the_data_version(writable_app) -> None:
    """The overview's tables are built once per data version and shared (ui/overview.py): a change
    that bumps the version shows on the next run, and the table of the old version is not reused."""
    from data_access import db
    from ui import overview

    state = signed_in(writable_app, "leader")
    first = html_tables(open_page(state=state))[0]
    name = "严重精神障碍患者规范管理率"
    with session_scope(writable_app) as s:
        obs = s.scalars(select(m.Observation).join(m.Indicator).join(m.Period, m.Period.id == m.Observation.period_id)
                        .where(m.Indicator.code == "smd_managed", m.Period.code == "2026Q3")
                        .where(m.Observation.numerator > 5)).first()
        obs.numerator -= 5
        if obs.value is not None:
            obs.value = obs.numerator / obs.denominator
        db.bump_data_version(s)
    num, den, _ = _county_sum(writable_app, "smd_managed", "2026Q3")
    again = html_tables(open_page(state=state))[0]
    old_row = first[first["指标"] == name].iloc[0]
    new_row = again[again["指标"] == name].iloc[0]
    assert new_row["当前值"] == f"{num / den * 100:.1f}%" != old_row["当前值"]
    version = db.data_version(writable_app)
    assert overview.tables(version, "2026Q3", "zh") is overview.tables(version, "2026Q3", "zh")
    assert overview.tables(version - 1, "2026Q3", "zh") is not overview.tables(version, "2026Q3", "zh")
