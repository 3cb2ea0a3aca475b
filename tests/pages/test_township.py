"""Township profile: values, ranks among townships and service points against SQL."""
from __future__ import annotations

from sqlalchemy import select

from view_helpers import open_view, texts
from data_access import indicators as ix
from data_access import models as m
from data_access.db import session_scope

PAGE = "pages/township.py"


def test_profile_values_ranks_and_points(app_engine) -> None:
    with session_scope(app_engine) as s:
        town = s.scalar(select(m.Region).where(m.Region.name_zh == "黄岭乡"))
        period = ix.period_by_code(s, "2026Q3")
        rates = {r: n / d for r, n, d in s.execute(
            select(m.Observation.region_id, m.Observation.numerator, m.Observation.denominator).join(m.Indicator)
            .where(m.Indicator.code == "smd_managed", m.Observation.period_id == period.id))}
        points = {}
        for p in s.scalars(select(m.ServicePoint).join(m.Region, m.Region.id == m.ServicePoint.region_id)
                           .where(m.Region.path.startswith(town.path))):
            if p.opened_on and p.opened_on <= period.end_date and (p.retired_on is None or p.retired_on > period.end_date):
                points[p.type] = points.get(p.type, 0) + 1
        code, town_id = town.code, town.id
    at = open_view(app_engine, PAGE, query={"township": code, "period": "2026Q3"})
    assert not at.exception
    table = at.dataframe[0].value.set_index("指标")
    row = table.loc["严重精神障碍患者规范管理率"]
    mine = rates[town_id]
    rank = 1 + sum(v > mine + 1e-12 for v in rates.values())
    assert row["当前值"] == f"{mine * 100:.1f}%"
    assert row["全县排名"] == f"{rank} / {len(rates)}"
    assert "24小时心理援助热线开通" not in table.index   # county-level only
    assert table.loc["持证心理咨询师和家庭教育指导师人数（“两个一百”）", "目标"].startswith("全县")
    shown = at.dataframe[1].value
    assert dict(zip(shown["类型"], shown["数量"])) == {
        {"village_room": "村（社区）心理咨询室", "social_work_room": "村（社区）社会工作室",
         "school_room": "中小学心理辅导室", "township_station": "乡镇（街道）社会心理服务站",
         "grid_point": "网格服务点", "enterprise_station": "企业爱心驿站", "hospital_clinic": "医院心理门诊",
         "police_room": "公安心理服务室", "petition_room": "信访心理服务室", "court_room": "法院心理服务室",
         "county_centre": "县社会心理服务中心", "hotline": "24小时心理援助热线"}[k]: v for k, v in points.items()}


def test_unknown_township_and_english(app_engine) -> None:
    at = open_view(app_engine, PAGE, lang="en", query={"township": "000000"})
    assert not at.exception
    assert "000000" in " ".join(w.value for w in at.warning)
    assert "Rank in county" in at.dataframe[0].value.columns
    assert "population" in texts(at)
