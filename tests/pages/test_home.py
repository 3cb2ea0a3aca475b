"""Home page: the county's value, target and status for every indicator, from the database."""
from __future__ import annotations

from helpers import open_page
from data_access import indicators as ix
from data_access.db import session_scope


def _expected(engine, period: str) -> dict[str, ix.IndicatorStatus]:
    with session_scope(engine) as s:
        p = ix.period_by_code(s, period)
        return {r.name_zh: r for r in ix.region_summary(s, p, ix.root_region(s))}


def test_home_lists_every_indicator_with_its_value(app_engine) -> None:
    at = open_page()
    assert not at.exception
    targets = at.dataframe[0].value
    expected = _expected(app_engine, "2026Q3")
    assert len(targets) + len(at.dataframe[1].value) == len(expected)
    row = targets[targets["指标"] == "严重精神障碍患者规范管理率"].iloc[0]
    assert row["当前值"] == f"{expected['严重精神障碍患者规范管理率'].value * 100:.1f}%"
    assert row["目标"] == "≥ 90%"
    # The union's sheet for 2026Q3 is missing: shown as missing, not as zero.
    union = targets[targets["指标"].str.startswith("持证心理咨询师")].iloc[0]
    assert union["当前值"] == "暂无数据" and "无数据" in union["状态"]


def test_home_period_from_the_url_and_english(app_engine) -> None:
    at = open_page(lang="en", query={"period": "2025Q4"})
    assert not at.exception
    assert at.selectbox[0].value == "2025Q4"
    expected = {r.name_en: r for r in _expected(app_engine, "2025Q4").values()}
    frame = at.dataframe[0].value
    row = frame[frame["Indicator"] == expected["Villages/communities with a counselling or social-work room"].name_en]
    assert row.iloc[0]["Value"] == f"{expected['Villages/communities with a counselling or social-work room'].value * 100:.1f}%"


def test_unknown_period_in_url_falls_back_to_latest(app_engine) -> None:
    at = open_page(query={"period": "1999Q9"})
    assert not at.exception
    assert at.selectbox[0].value == "2026Q3"
