"""Indicator detail: county figures, trajectory, township ranking and village drill-down against SQL."""
from __future__ import annotations

from sqlalchemy import func, select

from view_helpers import open_view, texts
from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope

# The sample catalogue's room-coverage rule counts these types (national-pilot preset).
ROOM_TYPES = ("village_room", "social_work_room")

PAGE = "pages/indicator.py"


def _town_rates(engine, code: str, period: str) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    with session_scope(engine) as s:
        return {name: (n, d) for name, n, d in s.execute(
            select(m.Region.name_zh, m.Observation.numerator, m.Observation.denominator)
            .join(m.Observation, m.Observation.region_id == m.Region.id)
            .join(m.Indicator).join(m.Period, m.Period.id == m.Observation.period_id)
            .where(m.Indicator.code == code, m.Period.code == period))}


def test_county_value_ranking_and_table(app_engine) -> None:
    at = open_view(app_engine, PAGE, query={"indicator": "rehab_participation", "period": "2026Q3"})
    assert not at.exception
    towns = _town_rates(app_engine, "rehab_participation", "2026Q3")
    num, den = sum(n for n, _ in towns.values()), sum(d for _, d in towns.values())
    metrics = {x.label: x for x in at.metric}
    assert metrics["全县当前值"].value == f"{num / den * 100:.1f}%"
    assert f"参加社区康复人数 / 居家患者数: {num:,.0f} / {den:,.0f}" in texts(at)
    table = at.dataframe[0].value
    assert len(table) == len(towns)
    rates = {t: n / d for t, (n, d) in towns.items()}
    best = max(rates, key=rates.get)
    top = table.iloc[0]
    assert top["乡镇（街道）"] == best and top["排名"] == f"1 / {len(towns)}"
    assert top["当前值"] == f"{rates[best] * 100:.1f}%"
    assert top["参加社区康复人数"] == f"{towns[best][0]:,.0f}" and top["居家患者数"] == f"{towns[best][1]:,.0f}"
    worst = table.iloc[-1]
    assert worst["乡镇（街道）"] == min(rates, key=rates.get)
    assert len(at.get("vega_lite_chart")) == 2   # trend with target, ranked bars


def test_trajectory_sentence_matches_the_history(app_engine) -> None:
    at = open_view(app_engine, PAGE, query={"indicator": "awareness_rural", "period": "2026Q3"})
    page = texts(at)
    with session_scope(app_engine) as s:
        root = ix.root_region(s)
        history = [p for p in ix.periods(s) if p.code <= "2026Q3"]
        values = ix.indicator_values(s, history, [root], ["awareness_rural"]).sort_values("period")
    v = list(values.value)
    needed = (0.60 - v[-1]) / 1       # one quarter to 2026-12-31
    pace = (v[-1] - v[-5]) / 4
    assert f"{needed * 100:+.1f} 个百分点" in page
    assert f"{pace * 100:+.1f} 个百分点" in page
    assert ("不能如期达标" in page) == (v[-1] + pace < 0.60) or "已达到目标" in page


def test_village_drill_down_for_room_coverage(app_engine) -> None:
    with session_scope(app_engine) as s:
        town = s.scalar(select(m.Region).where(m.Region.name_zh == "北山乡"))
        period = ix.period_by_code(s, "2026Q3")
        villages = s.scalar(select(func.count(m.Region.id)).where(m.Region.parent_id == town.id))
        with_room = s.scalar(select(func.count(func.distinct(m.ServicePoint.region_id)))
                             .join(m.Region, m.Region.id == m.ServicePoint.region_id)
                             .where(m.Region.parent_id == town.id, m.ServicePoint.type.in_(ROOM_TYPES),
                                    m.ServicePoint.opened_on <= period.end_date,
                                    (m.ServicePoint.retired_on.is_(None)) | (m.ServicePoint.retired_on > period.end_date)))
        code = town.code
    at = open_view(app_engine, PAGE, query={"indicator": "room_coverage", "township": code})
    assert not at.exception
    # The rule's own point types name what a village has.
    assert f"北山乡：{villages} 个村（社区）中 {with_room} 个已有村（社区）心理咨询室或村（社区）社会工作室。" in texts(at)
    village_table = at.dataframe[1].value
    assert len(village_table) == villages
    assert (village_table.iloc[:, 1].str.startswith("✔")).sum() == with_room


def test_bad_input_gives_messages_not_exceptions(app_engine) -> None:
    at = open_view(app_engine, PAGE, query={"indicator": "no_such", "period": "2030Q9", "township": "x"})
    assert not at.exception
    # The Markdown source escapes what the URL said ("no\\_such"); the reader sees "no_such".
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "no_such" in warnings and "2030Q9" in warnings
    no_target = open_view(app_engine, PAGE, lang="en", query={"indicator": "people_served"})
    assert not no_target.exception
    assert "This indicator has no target" in texts(no_target)


def test_count_target_is_not_split_by_township_in_english(app_engine) -> None:
    at = open_view(app_engine, PAGE, lang="en", query={"indicator": "outreach_sessions", "period": "2026Q2"})
    assert not at.exception
    assert "county total" in texts(at)
    assert at.selectbox[0].value == "outreach_sessions" and at.selectbox[1].value == "2026Q2"


def test_a_county_s_own_share_rule_drills_down_by_its_point_type_under_its_group(writable_app) -> None:  # noqa: ANN001
    from helpers import youth_station_county
    from data_access.access import Actor
    from data_access.catalogue import edit

    villages = youth_station_county(writable_app)
    with session_scope(writable_app) as s:
        ind_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "youth_villages"))
    edit.edit_indicator(writable_app, Actor(None, "test-admin", "admin"), ind_id, group_zh="青少年心理健康行动",
                        group_en="Youth mental-health drive")
    at = open_view(writable_app, PAGE, query={"indicator": "youth_villages", "period": "2026Q3",
                                              "township": "990101001"})
    assert not at.exception
    # The group heading, as the overview shows it; the picker names it the same way.
    assert any(h.value.startswith("青少年心理健康行动 · 村（社区）青少年心理驿站覆盖率 · 2026年") for h in at.subheader)
    assert "青少年心理健康行动 · 村（社区）青少年心理驿站覆盖率" in at.selectbox[0].options
    village_table = at.dataframe[1].value
    assert "已有青少年心理驿站" in village_table.columns
    assert (village_table["已有青少年心理驿站"].str.startswith("✔")).sum() == len(villages) == 5
    assert any("个村（社区）中 5 个已有青少年心理驿站。" in x for x in [texts(at)])
    en = open_view(writable_app, PAGE, lang="en", query={"indicator": "youth_villages", "period": "2026Q3",
                                                         "township": "990101001"})
    assert not en.exception
    assert any(h.value.replace("\\", "").startswith("Youth mental-health drive · Villages with a youth station")
               for h in en.subheader)
    assert "Has a Youth station" in en.dataframe[1].value.columns
