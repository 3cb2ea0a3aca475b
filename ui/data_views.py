"""Cached reads for the leading-group views (overview, indicator detail, township profile, warnings).

Every function is keyed by the data version (bumped by every accepted sheet or registry edit) plus
its own arguments, and returns plain dicts/lists so Streamlit can pickle them. Note the version
argument must not start with an underscore: st.cache_data leaves such arguments out of the key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import streamlit as st
from sqlalchemy import select

from data_access import coverage
from data_access import indicators as ix
from data_access import warnings as warn
from data_access.db import session_scope
from data_access import models as m


def _ind_dict(ind: m.Indicator) -> dict:
    return dict(code=ind.code, name_zh=ind.name_zh, name_en=ind.name_en, kind=ind.kind, unit=ind.unit,
                level=ind.level, source=ind.source, is_target=ind.is_target, higher_is_better=ind.higher_is_better,
                accumulate=ind.accumulate, numerator_zh=ind.numerator_label_zh, numerator_en=ind.numerator_label_en,
                denominator_zh=ind.denominator_label_zh, denominator_en=ind.denominator_label_en,
                group_zh=ind.group_zh, group_en=ind.group_en, is_share=coverage.is_share(ind),
                # A per-unit minimum reads "n of N schools meet it": the unit counted.
                meeting=(ind.rule or {}).get("unit") if (ind.rule or {}).get("type") == "units_meeting" else None)


def _share_points(s, ind: m.Indicator) -> dict:  # noqa: ANN001
    """A share rule's point types in words, both languages (the village drill-down names them)."""
    if not coverage.is_share(ind):
        return {}
    return dict(points_zh=coverage.point_words(s, ind, "zh"), points_en=coverage.point_words(s, ind, "en"))


def _region_dict(r: m.Region) -> dict:
    return dict(id=r.id, code=r.code, name_zh=r.name_zh, name_en=r.name_en, level=r.level, kind=r.kind,
                population=r.population)


def _target_dict(t: ix.TargetInfo | None, kind: str) -> dict | None:
    if t is None:
        return None
    met, near = ix.status_thresholds(t, kind)
    return dict(asdict(t), met_from=met, near_from=near)


def _clean(x: object) -> object:
    """NaN -> None so pages test one kind of missing."""
    return ix._number(x) if isinstance(x, float) else x


def _records(df) -> list[dict]:  # noqa: ANN001
    out = [{k: _clean(v) for k, v in row.items()} for row in df.to_dict("records")]
    for row in out:  # pandas turns a rank column with gaps into floats
        if row.get("rank") is not None:
            row["rank"] = int(row["rank"])
    return out


@st.cache_data(show_spinner=False)
def catalogue(data_version: int) -> list[dict]:
    with session_scope() as s:
        return [dict(_ind_dict(i), **_share_points(s, i)) for i in ix.indicator_catalogue(s)]


@st.cache_data(show_spinner=False)
def children(data_version: int) -> dict:
    """The deployment root and the areas one level below (townships of a county)."""
    with session_scope() as s:
        root = ix.root_region(s)
        if root is None:
            return dict(root=None, children=[])
        return dict(root=_region_dict(root), children=[_region_dict(r) for r in ix.regions_at(s, root.code)])


@st.cache_data(show_spinner=False)
def periods_with_data(data_version: int) -> list[str]:
    with session_scope() as s:
        return list(s.scalars(select(m.Period.code).where(
            select(m.Observation.id).where(m.Observation.period_id == m.Period.id).exists())))


def _history(s, period: m.Period) -> list[m.Period]:  # noqa: ANN001
    return [p for p in ix.periods(s) if p.end_date <= period.end_date]


@st.cache_data(show_spinner=False)
def overview(data_version: int, period_code: str, today: dt.date | None = None) -> dict | None:
    """Everything the overview shows for one period, in four queries' worth of work."""
    with session_scope() as s:
        period = ix.period_by_code(s, period_code)
        root = ix.root_region(s)
        if period is None or root is None:
            return None
        cat = {i.code: i for i in ix.indicator_catalogue(s)}
        history = _history(s, period)
        kids = ix.regions_at(s, root.code)
        # One roll-up for everything on the page: every quarter so far, for the county and its townships.
        values = ix.indicator_values(s, history, [root] + kids)
        summary = ix.region_summary(s, period, root, values=values)
        trend = values[values["region_id"] == root.id]
        series: dict[str, dict[str, float]] = {}
        for r in trend.itertuples(index=False):
            series.setdefault(r.indicator, {})[r.period] = ix._number(r.value)
        rows = []
        for item in summary:
            row = asdict(item)
            row["target"] = _target_dict(item.target, item.kind)
            row["change"] = item.change
            row["trend"] = [series.get(item.code, {}).get(p.code) for p in history]
            rows.append(row)
        attention = ix.needs_attention(s, period, kids, limit=8, values=values)
        names = {k.id: k for k in kids}
        behind = []
        for r in _records(attention):
            ind, area = cat[r["indicator"]], names[r["region_id"]]
            behind.append(dict(r, region=_region_dict(area), ind=_ind_dict(ind)))
        reports = [asdict(d) for d in ix.department_reports(s, period, today)]
        flags = warn.early_warnings(s, period, kids, values=values)
        registry_codes = {c for c, i in cat.items() if i.source == "registry"}
        return dict(region=_region_dict(root), period=period_code, periods=[p.code for p in history],
                    rows=rows, behind=behind, child_level=kids[0].level if kids else None,
                    reports=reports, warnings=len(flags),
                    has_data=any(r["value"] is not None for r in rows if r["code"] not in registry_codes))


@st.cache_data(show_spinner=False)
def indicator_detail(data_version: int, period_code: str, code: str) -> dict | None:
    with session_scope() as s:
        period = ix.period_by_code(s, period_code)
        root = ix.root_region(s)
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == code))
        if period is None or root is None or ind is None:
            return None
        history = _history(s, period)
        target = ix.targets_in_force(s, period.end_date).get(code) if ind.is_target else None
        county = ix.group_statuses(s, period, [root], [code])
        trend = ix.indicator_values(s, history, [root], [code])
        by_period = {r.period: ix._number(r.value) for r in trend.itertuples(index=False)}
        points = [dict(period=p.code, year=p.year, quarter=p.quarter, end_date=p.end_date, value=by_period.get(p.code))
                  for p in history]
        trajectory = None
        if target is not None and ix.target_applies(ind, root.level):
            now = by_period.get(period.code)
            if now is not None and ind.accumulate == "ytd":
                trajectory = asdict(ix.ytd_trajectory(now, period.quarter, target.value))
            elif now is not None:
                hist = [(ix.quarter_index(p.year, p.quarter), by_period.get(p.code)) for p in history]
                tr = ix.trajectory(hist, target.value, ix.date_quarter_index(target.target_date), ind.higher_is_better)
                trajectory = asdict(tr) if tr else None
        kids = ix.regions_at(s, root.code)
        table = ix.group_statuses(s, period, kids, [code])
        names = {k.id: k for k in kids}
        areas = [dict(r, region=_region_dict(names[r["region_id"]])) for r in _records(table)]
        return dict(indicator=_ind_dict(ind), target=_target_dict(target, ind.kind), period=period_code,
                    county=_records(county)[0] if not county.empty else None, trend=points, trajectory=trajectory,
                    target_applies_below=ix.target_applies(ind, kids[0].level) if kids else False,
                    areas=areas, region=_region_dict(root))


@st.cache_data(show_spinner=False)
def villages(data_version: int, period_code: str, code: str, township_code: str) -> list[dict] | None:
    with session_scope() as s:
        period = ix.period_by_code(s, period_code)
        town = ix.region_by_code(s, township_code)
        if period is None or town is None:
            return None
        df = ix.village_values(s, period, town, code)
        return None if df is None else _records(df)


@st.cache_data(show_spinner=False)
def township_profile(data_version: int, period_code: str, township_code: str) -> dict | None:
    with session_scope() as s:
        period = ix.period_by_code(s, period_code)
        root = ix.root_region(s)
        town = ix.region_by_code(s, township_code)
        if period is None or root is None or town is None:
            return None
        kids = ix.regions_at(s, root.code)
        if town.id not in {k.id for k in kids}:
            return None
        cat = ix.indicator_catalogue(s)
        targets = ix.targets_in_force(s, period.end_date)
        history = _history(s, period)
        # One roll-up for the page: every quarter so far, for all townships (ranks) and the county.
        values = ix.indicator_values(s, history, kids + [root])
        among = ix.group_statuses(s, period, kids, values=values)  # ranks among the townships
        mine = {r["indicator"]: r for r in _records(among[among.region_id == town.id])}
        county = {r.indicator: ix._number(r.value) for r in values.itertuples(index=False)
                  if r.region_id == root.id and r.period == period.code}
        rows = []
        for ind in cat:
            if ind.level == "county":
                continue  # the hotline exists once per county, not per township
            r = mine.get(ind.code, {})
            target = targets.get(ind.code) if ind.is_target else None
            rows.append(dict(ind=_ind_dict(ind), value=r.get("value"), previous=r.get("previous"),
                             change=r.get("change"), status=r.get("status", ix.NO_DATA), rank=r.get("rank"),
                             ranked=r.get("ranked"), expected=r.get("expected"),
                             target=_target_dict(target, ind.kind),
                             county_value=county.get(ind.code)))
        ratio_codes = [i.code for i in cat if i.kind == "ratio" and i.level != "county"]
        trend = values[(values.region_id == town.id) & values.indicator.isin(ratio_codes)]
        points = [dict(indicator=r.indicator, period=r.period, value=ix._number(r.value))
                  for r in trend.itertuples(index=False)]
        villages_n = len(ix.regions_at(s, town.code, "village"))
        flags = [f for f in warn.early_warnings(s, period, kids, values=values) if f.region_id == town.id]
        return dict(region=_region_dict(town), county=_region_dict(root), period=period_code, rows=rows,
                    end_date=period.end_date,
                    points=ix.service_points_by_type(s, town, period.end_date), trend=points,
                    periods=[p.code for p in history], villages=villages_n, warnings=len(flags))


@st.cache_data(show_spinner=False)
def warnings_list(data_version: int, period_code: str) -> list[dict] | None:
    with session_scope() as s:
        period = ix.period_by_code(s, period_code)
        if period is None:
            return None
        out = []
        for f in warn.early_warnings(s, period):
            row = asdict(f)
            row["reason_zh"], row["reason_en"] = f.reason("zh"), f.reason("en")
            out.append(row)
        return out
