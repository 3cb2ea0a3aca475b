"""Figures computed from rules held as data (Indicator.rule) rather than reported: coverage from
the service-point registry, and per-unit minimums from reported figures.

Rules (JSON, validated by data_access.catalogue.rules):
    {"type": "share", "unit": "village" | "township", "point_types": [...]}
        share of villages / townships with at least one point of these types in service
    {"type": "share", "unit": "facility", "facility_kinds": [...], "listed_only": bool, "point_types": [...]}
        share of schools / hospitals (of these kinds; only those marked "listed") with such a point
    {"type": "exists", "point_types": [...]}
        a point of these types is in service in the county (1/1 or 0/1 per county)
    {"type": "per_10k", "point_types": [...]}
        points of these types in service per 10,000 residents (village populations)
    {"type": "units_meeting", "indicator": code, "minimum": n, "unit": "township" | "village"}
        how many townships / villages report at least n for another indicator, of all of them
    {"type": "units_meeting", "indicator": code, "minimum": n, "unit": "facility", "facility_kinds": [...]}
        how many schools (facilities of these kinds) report at least n for an indicator reported per
        school, of all of them: Σ meeting / Σ facilities under each area

"In service" means opened on or before the quarter's end and not retired by then; a retired
village or facility leaves the denominator from its retirement on. All counting happens once per
path length of the areas asked for (see _prefix_groups), so a province stays one pass.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import models as m

VALUE_COLUMNS = ["indicator", "period", "region_id", "numerator", "denominator", "value", "reports"]
RULE_TYPES = ("share", "exists", "per_10k", "units_meeting")
SHARE_UNITS = ("village", "township", "facility")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=VALUE_COLUMNS)


def _prefix_groups(groups: Sequence[m.Region]) -> list[tuple[int, dict[str, int]]]:
    """Group regions by the length of their path: [(length, {path: id})].

    Why: an ancestor's path is a fixed-length prefix of its descendants' paths, and regions of one
    level share a path length. Grouping by substr(path, 1, length) IN (...) is one pass over the rows
    with an equality test, where a `path LIKE group.path || '%'` join compares every row with every
    group (seconds at province scale on SQLite).
    """
    by_length: dict[int, dict[str, int]] = {}
    for g in groups:
        by_length.setdefault(len(g.path), {})[g.path] = g.id
    return sorted(by_length.items())


def _prefix(column, length: int):  # noqa: ANN001, ANN202
    return func.substr(column, 1, length)


def _active_at(point: type[m.ServicePoint] | object, end_col):  # noqa: ANN001, ANN202
    return and_(point.opened_on.is_not(None), point.opened_on <= end_col,
                or_(point.retired_on.is_(None), point.retired_on > end_col))


def _covering_paths(groups: Sequence[m.Region]) -> list[str]:
    """The fewest path prefixes that cover every group: a province and its 100 counties is one
    LIKE, not 101 ORed on every row."""
    paths = sorted({g.path for g in groups})
    out: list[str] = []
    for path in paths:  # sorted: a prefix comes before everything under it
        if not out or not path.startswith(out[-1]):
            out.append(path)
    return out


def _registry_frame(session: Session, queries: list[tuple[object, dict[str, int]]], code: str,
                    scale: float = 1.0) -> pd.DataFrame:
    """Run one registry query per path length; rows are (period code, group path, numerator, denominator)."""
    rows = []
    for query, paths in queries:
        result = query if isinstance(query, list) else session.execute(query).all()  # rows already counted
        rows += [(period, paths[gpath], num, den) for period, gpath, num, den in result]
    df = pd.DataFrame(rows, columns=["period", "region_id", "numerator", "denominator"])
    if df.empty:
        return _empty()
    df["indicator"] = code
    df["numerator"] = df["numerator"].astype(float)
    df["denominator"] = df["denominator"].astype(float)
    df["value"] = df["numerator"] / df["denominator"].where(df["denominator"] > 0) * scale
    df["reports"] = df["denominator"].astype(int) if scale == 1.0 else 1
    return df[df["denominator"] > 0][VALUE_COLUMNS]


def compute(session: Session, indicator: m.Indicator, period_list: Sequence[m.Period],
            groups: Sequence[m.Region]) -> pd.DataFrame:
    """The figures of one rule-computed indicator for each group and period (VALUE_COLUMNS)."""
    rule: dict[str, Any] = indicator.rule or {}
    kind = rule.get("type")
    types = tuple(rule.get("point_types") or ())
    if kind == "share" and rule.get("unit") in ("village", "township") and types:
        return share_of_regions(session, period_list, groups, indicator.code, rule["unit"], types)
    if kind == "share" and rule.get("unit") == "facility" and types:
        return share_of_facilities(session, period_list, groups, indicator.code, tuple(rule.get("facility_kinds") or ()),
                                   types, bool(rule.get("listed_only")))
    if kind == "exists" and types:
        return point_exists(session, period_list, groups, indicator.code, types)
    if kind == "per_10k" and types:
        return points_per_10k(session, period_list, groups, indicator.code, types)
    if kind == "units_meeting" and rule.get("indicator") and rule.get("unit") == "facility":
        return facilities_meeting(session, period_list, groups, indicator.code, rule["indicator"],
                                  float(rule.get("minimum", 1)), tuple(rule.get("facility_kinds") or ()))
    if kind == "units_meeting" and rule.get("indicator"):
        return units_meeting(session, period_list, groups, indicator.code, rule["indicator"],
                             float(rule.get("minimum", 1)), rule.get("unit") or "township")
    return _empty()


def share_of_regions(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                     level: str, types: tuple[str, ...]) -> pd.DataFrame:
    """Share of villages (or townships) with a point of the types open at the period's end; a point
    counts for the unit its place lies in. A unit as its own group gives 1/1 or 0/1: the drill-down.

    Two narrow reads (units in scope; their points' places and dates) and the period logic in
    numpy: at province scale (33k villages x 12 quarters) a per-village EXISTS, or one grouped
    join per quarter and level, took seconds; this is one pass over ~75k small rows."""
    unit, place = aliased(m.Region), aliased(m.Region)
    covering = _covering_paths(groups)
    # Core rows as plain tuples into pandas: ORM objects, or pandas reading Row objects, cost more than the query.
    conn = session.connection()
    units = pd.DataFrame([tuple(r) for r in conn.execute(
        select(unit.id, unit.path, unit.retired_on)
        .where(unit.level == level, or_(*[unit.path.startswith(p) for p in covering])))],
        columns=["unit_id", "path", "unit_retired"])
    if units.empty:
        return _empty()
    points = pd.DataFrame([tuple(r) for r in conn.execute(
        select(place.path, m.ServicePoint.opened_on, m.ServicePoint.retired_on)
        .join(place, place.id == m.ServicePoint.region_id)
        .where(m.ServicePoint.type.in_(types), m.ServicePoint.opened_on.is_not(None),
               place.level.in_(("village",) if level == "village" else (level, "village")),
               or_(*[place.path.startswith(p) for p in covering])))],
        columns=["path", "opened_on", "retired_on"])
    # Dates as datetime64: each quarter's comparisons are then vectorised, not per Python object.
    units["unit_retired"] = pd.to_datetime(units["unit_retired"])
    points["opened_on"] = pd.to_datetime(points["opened_on"])
    points["retired_on"] = pd.to_datetime(points["retired_on"])
    # Which group each unit falls in, per path length: computed once, reused for every quarter.
    lengths = _prefix_groups(groups)
    keys = {length: units["path"].str.slice(0, length) for length, _ in lengths}
    members = {length: keys[length].isin(set(paths)) for length, paths in lengths}
    # Every quarter at once: units alive and units with an open point as unit x quarter
    # matrices, then one bincount per quarter and path length (no DataFrame per quarter).
    ends = np.array([np.datetime64(p.end_date) for p in period_list], dtype="datetime64[ns]")
    retired = units["unit_retired"].to_numpy(dtype="datetime64[ns]")
    alive = np.isnat(retired)[:, None] | (retired[:, None] > ends[None, :])
    covered = np.zeros(alive.shape, dtype=bool)
    if not points.empty:
        opened = points["opened_on"].to_numpy(dtype="datetime64[ns]")
        closed = points["retired_on"].to_numpy(dtype="datetime64[ns]")
        is_open = (opened[:, None] <= ends[None, :]) & (np.isnat(closed)[:, None] | (closed[:, None] > ends[None, :]))
        # The unit a point lies in: its place's path cut to the unit paths' length.
        at = np.full(len(points), -1)
        unit_index = pd.Index(units["path"])
        for length in sorted(units["path"].str.len().unique()):
            found = unit_index.get_indexer(points["path"].str.slice(0, int(length)))
            at = np.where(at >= 0, at, found)
        np.logical_or.at(covered, at[at >= 0], is_open[at >= 0])
    rows = []
    for length, _ in lengths:
        codes, uniques = pd.factorize(keys[length])
        member = members[length].to_numpy()
        for j, period in enumerate(period_list):
            mask = member & alive[:, j]
            total = np.bincount(codes[mask], minlength=len(uniques))
            n = np.bincount(codes[mask & covered[:, j]], minlength=len(uniques))
            rows += [(period.code, uniques[g], int(n[g]), int(total[g])) for g in np.flatnonzero(total)]
    queries = [(rows, {p: i for length, paths in _prefix_groups(groups) for p, i in paths.items()})]
    return _registry_frame(session, queries, code)


def share_of_facilities(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                        kinds: tuple[str, ...], types: tuple[str, ...], listed_only: bool) -> pd.DataFrame:
    """Share of facilities of the kinds (only those marked listed, when asked) open at the period's
    end that have a point of the types attached and in service then."""
    place = aliased(m.Region)
    period = aliased(m.Period)
    has_point = exists().where(m.ServicePoint.facility_id == m.Facility.id, m.ServicePoint.type.in_(types),
                               _active_at(m.ServicePoint, period.end_date))
    queries = []
    for length, paths in _prefix_groups(groups):
        key = _prefix(place.path, length)
        conditions = [key.in_(list(paths)), period.id.in_([p.id for p in period_list]),
                      or_(m.Facility.opened_on.is_(None), m.Facility.opened_on <= period.end_date),
                      or_(m.Facility.closed_on.is_(None), m.Facility.closed_on > period.end_date)]
        if kinds:
            conditions.append(m.Facility.kind.in_(kinds))
        if listed_only:
            conditions.append(m.Facility.is_listed.is_(True))
        queries.append((
            select(period.code, key, func.sum(case((has_point, 1), else_=0)), func.count(m.Facility.id))
            .select_from(m.Facility)
            .join(place, m.Facility.region_id == place.id)
            .join(period, literal(True))
            .where(*conditions)
            .group_by(period.code, key), paths))
    return _registry_frame(session, queries, code)


def point_exists(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                 types: tuple[str, ...]) -> pd.DataFrame:
    """Counties (at or below the group) with a point of the types in service: 1/1 for a county that has one."""
    county, place = aliased(m.Region), aliased(m.Region)
    period = aliased(m.Period)
    point = aliased(m.ServicePoint)
    # A point belongs to the county whose path prefixes the point's place.
    has_point = (exists().where(point.region_id == place.id, place.path.startswith(county.path),
                                point.type.in_(types), _active_at(point, period.end_date)))
    queries = []
    for length, paths in _prefix_groups(groups):
        key = _prefix(county.path, length)
        queries.append((
            select(period.code, key, func.sum(case((has_point, 1), else_=0)), func.count(county.id))
            .select_from(county)
            .join(period, literal(True))
            .where(county.level == "county", key.in_(list(paths)), period.id.in_([p.id for p in period_list]))
            .group_by(period.code, key), paths))
    return _registry_frame(session, queries, code)


def points_per_10k(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                   types: tuple[str, ...]) -> pd.DataFrame:
    """Points of the types in service per 10,000 residents (the villages' populations under the group).
    numerator: points; denominator: residents. No figure where no resident count is known."""
    place = aliased(m.Region)
    period = aliased(m.Period)
    rows = []
    by_path: dict[str, int] = {}
    for length, paths in _prefix_groups(groups):
        by_path.update(paths)
        key = _prefix(place.path, length)
        people = dict(session.execute(
            select(key, func.sum(place.population))
            .where(place.level == "village", place.retired_on.is_(None), key.in_(list(paths)))
            .group_by(key)).all())
        counted = {(p, g): int(n) for p, g, n in session.execute(
            select(period.code, key, func.count(m.ServicePoint.id))
            .select_from(m.ServicePoint)
            .join(place, place.id == m.ServicePoint.region_id)
            .join(period, literal(True))
            .where(key.in_(list(paths)), period.id.in_([p.id for p in period_list]),
                   m.ServicePoint.type.in_(types), _active_at(m.ServicePoint, period.end_date))
            .group_by(period.code, key)).all()}
        for gpath, residents in people.items():
            if not residents:
                continue
            for p in period_list:
                rows.append((p.code, gpath, counted.get((p.code, gpath), 0), int(residents)))
    return _registry_frame(session, [(rows, by_path)], code, scale=10000.0)


def units_meeting(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                  base_code: str, minimum: float, level: str) -> pd.DataFrame:
    """How many townships (or villages) under the group report at least `minimum` for another
    indicator, of all of them ("every township has at least one certified counsellor"). A unit
    without a figure does not meet it; a group where no unit reported has no figure at all."""
    base = session.scalar(select(m.Indicator).where(m.Indicator.code == base_code))
    if base is None:
        return _empty()
    unit = aliased(m.Region)
    ids = {p.id: p.code for p in period_list}
    rows = []
    by_path: dict[str, int] = {}
    for length, paths in _prefix_groups(groups):
        by_path.update(paths)
        key = _prefix(unit.path, length)
        totals = dict(session.execute(
            select(key, func.count(unit.id))
            .where(unit.level == level, unit.retired_on.is_(None), key.in_(list(paths))).group_by(key)).all())
        figures = session.execute(
            select(m.Observation.period_id, key, func.count(m.Observation.id),
                   func.sum(case((m.Observation.value >= minimum - 1e-9, 1), else_=0)))
            .join(unit, unit.id == m.Observation.region_id)
            .where(m.Observation.indicator_id == base.id, m.Observation.period_id.in_(list(ids)),
                   m.Observation.value.is_not(None), unit.level == level, unit.retired_on.is_(None),
                   key.in_(list(paths)))
            .group_by(m.Observation.period_id, key)).all()
        for period_id, gpath, reported, meeting in figures:
            if reported and totals.get(gpath):
                rows.append((ids[period_id], gpath, int(meeting or 0), int(totals[gpath])))
    return _registry_frame(session, [(rows, by_path)], code)


def facilities_meeting(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region], code: str,
                       base_code: str, minimum: float, kinds: tuple[str, ...]) -> pd.DataFrame:
    """How many schools (facilities of the kinds, open at the quarter's end) under the group report
    at least `minimum` for an indicator reported per school, of all of them ("every school has at
    least one certified counsellor"). Like units_meeting: a school without a figure does not meet
    it; a group where no school reported has no figure. A township's and the county's figure are
    both Σ meeting / Σ schools under them (not an average of township shares)."""
    base = session.scalar(select(m.Indicator).where(m.Indicator.code == base_code))
    if base is None or not kinds:
        return _empty()
    place = aliased(m.Region)
    period = aliased(m.Period)
    figure = aliased(m.FacilityObservation)
    # At most one figure per school, indicator and quarter (uq_facility_observation): an outer join counts it once.
    reported = and_(figure.facility_id == m.Facility.id, figure.period_id == period.id,
                    figure.indicator_id == base.id, figure.value.is_not(None))
    rows = []
    by_path: dict[str, int] = {}
    for length, paths in _prefix_groups(groups):
        by_path.update(paths)
        key = _prefix(place.path, length)
        counted = session.execute(
            select(period.code, key, func.count(m.Facility.id), func.count(figure.id),
                   func.sum(case((figure.value >= minimum - 1e-9, 1), else_=0)))
            .select_from(m.Facility)
            .join(place, m.Facility.region_id == place.id)
            .join(period, literal(True))
            .outerjoin(figure, reported)
            .where(key.in_(list(paths)), period.id.in_([p.id for p in period_list]), m.Facility.kind.in_(kinds),
                   or_(m.Facility.opened_on.is_(None), m.Facility.opened_on <= period.end_date),
                   or_(m.Facility.closed_on.is_(None), m.Facility.closed_on > period.end_date))
            .group_by(period.code, key)).all()
        rows += [(p, gpath, int(meeting or 0), int(total)) for p, gpath, total, given, meeting in counted if given]
    return _registry_frame(session, [(rows, by_path)], code)
