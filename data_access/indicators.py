"""Indicator values, targets and status: the numbers every page shows.

One rule for every roll-up: a ratio for an area is the sum of its numerators over the sum of its
denominators (never the average of percentages); a count is a sum; a missing figure stays missing
(NaN), never zero. Reported indicators come from observations; registry indicators (room coverage,
school rooms, hospital clinics, hotline) are counted from the service-point registry as of each
period's end, so nobody types them twice. All aggregation happens in SQL.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import models as m

MET, NEAR, BEHIND, NO_DATA, NO_TARGET = "met", "near", "behind", "no_data", "no_target"
STATUSES = (MET, NEAR, BEHIND, NO_DATA, NO_TARGET)

ROOM_TYPES = ("village_room", "social_work_room")
SCHOOL_KINDS = ("primary_school", "secondary_school")
VALUE_COLUMNS = ["indicator", "period", "region_id", "numerator", "denominator", "value", "reports"]


@dataclass(frozen=True)
class TargetInfo:
    value: float
    comparison: str
    target_date: dt.date
    near_band: float
    effective_from: dt.date


# --- periods ---------------------------------------------------------------------------------

def periods(session: Session) -> list[m.Period]:
    """All quarters, oldest first."""
    return list(session.scalars(select(m.Period).order_by(m.Period.year, m.Period.quarter)))


def period_by_code(session: Session, code: str) -> m.Period | None:
    return session.scalar(select(m.Period).where(m.Period.code == code))


def default_period(session: Session, today: dt.date | None = None) -> m.Period | None:
    """The latest quarter that has ended and holds any reported figure (what a leader wants first)."""
    today = today or dt.date.today()
    with_data = (select(m.Period)
                 .where(m.Period.end_date < today,
                        exists().where(m.Observation.period_id == m.Period.id))
                 .order_by(m.Period.end_date.desc()).limit(1))
    found = session.scalar(with_data)
    if found is None:
        found = session.scalar(select(m.Period).where(m.Period.end_date < today)
                               .order_by(m.Period.end_date.desc()).limit(1))
    return found


def previous_period(session: Session, period: m.Period) -> m.Period | None:
    return session.scalar(select(m.Period).where(m.Period.end_date < period.start_date)
                          .order_by(m.Period.end_date.desc()).limit(1))


# --- catalogue and targets ------------------------------------------------------------------

def indicator_catalogue(session: Session, targets_only: bool = False) -> list[m.Indicator]:
    query = select(m.Indicator).order_by(m.Indicator.sort_order, m.Indicator.id)
    if targets_only:
        query = query.where(m.Indicator.is_target.is_(True))
    return list(session.scalars(query))


def targets_in_force(session: Session, on: dt.date) -> dict[str, TargetInfo]:
    """indicator code -> the target in force on that date. Older periods keep the target of their day."""
    rows = session.execute(
        select(m.Indicator.code, m.Target)
        .join(m.Target, m.Target.indicator_id == m.Indicator.id)
        .where(m.Target.effective_from <= on,
               or_(m.Target.effective_to.is_(None), m.Target.effective_to > on))
        .order_by(m.Target.effective_from)
    ).all()
    out: dict[str, TargetInfo] = {}
    for code, target in rows:  # later effective_from wins when two overlap
        out[code] = TargetInfo(target.value, target.comparison, target.target_date, target.near_band,
                               target.effective_from)
    return out


def expected_by_period(target: TargetInfo, accumulate: str, quarter: int) -> float:
    """The target a period is measured against: annual counts accumulated over the year are pro-rated
    by quarter (40 sessions a year means 30 by the end of Q3)."""
    if accumulate == "ytd":
        return target.value * quarter / 4
    return target.value


def classify(value: float | None, target: TargetInfo | None, kind: str, higher_is_better: bool = True,
             expected: float | None = None) -> str:
    """met / near / behind / no_data / no_target.

    The near band is in the indicator's own terms: for ratios, percentage points as a fraction
    (0.05 = within 5 points); for counts, a share of the target (0.10 = within 10 %).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA
    if target is None:
        return NO_TARGET
    goal = target.value if expected is None else expected
    band = target.near_band if kind == "ratio" else target.near_band * abs(goal)
    comparison = target.comparison if higher_is_better or target.comparison != ">=" else "<="
    if comparison == "<=":
        if value <= goal + 1e-9:
            return MET
        return NEAR if value <= goal + band + 1e-9 else BEHIND
    if comparison == "==":
        return MET if abs(value - goal) <= 1e-9 else (NEAR if abs(value - goal) <= band else BEHIND)
    if value >= goal - 1e-9:
        return MET
    return NEAR if value >= goal - band - 1e-9 else BEHIND


def status_thresholds(target: TargetInfo, kind: str) -> tuple[float, float]:
    """(met from, near from) for a ">=" target, for legends."""
    band = target.near_band if kind == "ratio" else target.near_band * target.value
    return target.value, target.value - band


# --- values -----------------------------------------------------------------------------------

def regions_at(session: Session, parent_code: str | None = None, level: str | None = None) -> list[m.Region]:
    """Regions under parent (or the deployment root's children), optionally at one level, not retired."""
    query = select(m.Region).where(m.Region.retired_on.is_(None))
    if parent_code:
        parent = session.scalar(select(m.Region).where(m.Region.code == parent_code))
        if parent is None:
            return []
        query = query.where(m.Region.path.startswith(parent.path), m.Region.id != parent.id)
        if level is None:
            query = query.where(m.Region.parent_id == parent.id)
    if level:
        query = query.where(m.Region.level == level)
    return list(session.scalars(query.order_by(m.Region.code)))


def root_region(session: Session) -> m.Region | None:
    """The top of this deployment: the county (or province for a province data set)."""
    return session.scalar(select(m.Region).where(m.Region.parent_id.is_(None)).order_by(m.Region.id).limit(1))


def region_by_code(session: Session, code: str) -> m.Region | None:
    return session.scalar(select(m.Region).where(m.Region.code == code))


def indicator_values(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region],
                     codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Values of indicators for each group region and period, rolled up from everything below it.

    Returns one row per (indicator, period, region_id) that has data, columns VALUE_COLUMNS;
    `reports` is how many observations (or registry units) went into the figure.
    """
    catalogue = {i.code: i for i in indicator_catalogue(session)}
    wanted = [c for c in (codes or catalogue) if c in catalogue]
    if not period_list or not groups or not wanted:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    group_ids = [g.id for g in groups]
    frames = []
    reported = [catalogue[c] for c in wanted if catalogue[c].source == "report"]
    if reported:
        frames.append(_reported_values(session, period_list, group_ids, reported))
    for code in wanted:
        if catalogue[code].source == "registry" and code in REGISTRY_COUNTERS:
            frames.append(REGISTRY_COUNTERS[code](session, period_list, group_ids))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[VALUE_COLUMNS]


def _reported_values(session: Session, period_list: Sequence[m.Period], group_ids: list[int],
                     indicators: list[m.Indicator]) -> pd.DataFrame:
    group = aliased(m.Region)
    below = aliased(m.Region)
    # Year-to-date indicators need the earlier quarters of each year as well.
    ytd = {i.id for i in indicators if i.accumulate == "ytd"}
    wanted_ids = {p.id for p in period_list}
    needed = set(wanted_ids)
    if ytd:
        years = {p.year for p in period_list}
        needed |= set(session.scalars(select(m.Period.id).where(m.Period.year.in_(years))))
    query = (
        select(m.Observation.indicator_id, m.Observation.period_id, group.id.label("region_id"),
               func.sum(m.Observation.numerator).label("numerator"),
               func.sum(m.Observation.denominator).label("denominator"),
               func.sum(m.Observation.value).label("total"),
               func.count(m.Observation.id).label("reports"))
        .join(below, below.id == m.Observation.region_id)
        .join(group, below.path.startswith(group.path))
        .where(group.id.in_(group_ids), m.Observation.period_id.in_(needed),
               m.Observation.indicator_id.in_([i.id for i in indicators]))
        .group_by(m.Observation.indicator_id, m.Observation.period_id, group.id)
    )
    df = pd.DataFrame(session.execute(query).all(),
                      columns=["indicator_id", "period_id", "region_id", "numerator", "denominator", "total",
                               "reports"])
    if df.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    by_id = {i.id: i for i in indicators}
    period_info = {p.id: p for p in session.scalars(select(m.Period).where(m.Period.id.in_(needed)))}
    df["indicator"] = df["indicator_id"].map(lambda i: by_id[i].code)
    df["kind"] = df["indicator_id"].map(lambda i: by_id[i].kind)
    df["period"] = df["period_id"].map(lambda p: period_info[p].code)
    df["year"] = df["period_id"].map(lambda p: period_info[p].year)
    df["quarter"] = df["period_id"].map(lambda p: period_info[p].quarter)
    if ytd:
        df = df.sort_values(["indicator_id", "region_id", "year", "quarter"])
        is_ytd = df["indicator_id"].isin(ytd)
        cum = df[is_ytd].groupby(["indicator_id", "region_id", "year"])["total"].cumsum()
        df.loc[is_ytd, "total"] = cum
    ratio = df["kind"] == "ratio"
    den = df["denominator"].where(df["denominator"] > 0)
    df["value"] = df["total"].astype(float)
    df.loc[ratio, "value"] = df.loc[ratio, "numerator"] / den[ratio]
    df.loc[~ratio, ["numerator", "denominator"]] = float("nan")
    df = df[df["period_id"].isin(wanted_ids)]
    return df[VALUE_COLUMNS]


def _active_at(point: type[m.ServicePoint] | object, end_col):  # noqa: ANN001, ANN202
    return and_(point.opened_on.is_not(None), point.opened_on <= end_col,
                or_(point.retired_on.is_(None), point.retired_on > end_col))


def _registry_frame(session: Session, query, code: str) -> pd.DataFrame:  # noqa: ANN001
    df = pd.DataFrame(session.execute(query).all(), columns=["period", "region_id", "numerator", "denominator"])
    if df.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    df["indicator"] = code
    df["numerator"] = df["numerator"].astype(float)
    df["denominator"] = df["denominator"].astype(float)
    df["value"] = df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    df["reports"] = df["denominator"].astype(int)
    return df[df["denominator"] > 0][VALUE_COLUMNS]


def _room_coverage(session: Session, period_list: Sequence[m.Period], group_ids: list[int]) -> pd.DataFrame:
    group, village = aliased(m.Region), aliased(m.Region)
    period = aliased(m.Period)
    has_room = (exists().where(m.ServicePoint.region_id == village.id, m.ServicePoint.type.in_(ROOM_TYPES),
                               _active_at(m.ServicePoint, period.end_date)))
    query = (
        select(period.code, group.id, func.sum(case((has_room, 1), else_=0)), func.count(village.id))
        .select_from(group)
        .join(village, and_(village.path.startswith(group.path), village.level == "village"))
        .join(period, literal(True))
        .where(group.id.in_(group_ids), period.id.in_([p.id for p in period_list]),
               or_(village.retired_on.is_(None), village.retired_on > period.end_date))
        .group_by(period.code, group.id)
    )
    return _registry_frame(session, query, "room_coverage")


def _facility_coverage(session: Session, period_list: Sequence[m.Period], group_ids: list[int], code: str,
                       kinds: tuple[str, ...], point_type: str, listed_only: bool) -> pd.DataFrame:
    group, place = aliased(m.Region), aliased(m.Region)
    period = aliased(m.Period)
    has_point = exists().where(m.ServicePoint.facility_id == m.Facility.id, m.ServicePoint.type == point_type,
                               _active_at(m.ServicePoint, period.end_date))
    conditions = [group.id.in_(group_ids), period.id.in_([p.id for p in period_list]), m.Facility.kind.in_(kinds),
                  or_(m.Facility.opened_on.is_(None), m.Facility.opened_on <= period.end_date),
                  or_(m.Facility.closed_on.is_(None), m.Facility.closed_on > period.end_date)]
    if listed_only:
        conditions.append(m.Facility.is_listed.is_(True))
    query = (
        select(period.code, group.id, func.sum(case((has_point, 1), else_=0)), func.count(m.Facility.id))
        .select_from(group)
        .join(place, place.path.startswith(group.path))
        .join(m.Facility, m.Facility.region_id == place.id)
        .join(period, literal(True))
        .where(*conditions)
        .group_by(period.code, group.id)
    )
    return _registry_frame(session, query, code)


def _school_rooms(session: Session, period_list: Sequence[m.Period], group_ids: list[int]) -> pd.DataFrame:
    return _facility_coverage(session, period_list, group_ids, "school_rooms", SCHOOL_KINDS, "school_room", False)


def _hospital_clinics(session: Session, period_list: Sequence[m.Period], group_ids: list[int]) -> pd.DataFrame:
    return _facility_coverage(session, period_list, group_ids, "hospital_clinics", ("hospital",), "hospital_clinic",
                              True)


def _hotline(session: Session, period_list: Sequence[m.Period], group_ids: list[int]) -> pd.DataFrame:
    """Counties (at or below the group) with a hotline in service: 1/1 for a county that has one."""
    group, county, place = aliased(m.Region), aliased(m.Region), aliased(m.Region)
    period = aliased(m.Period)
    point = aliased(m.ServicePoint)
    has_line = (exists().where(point.region_id == place.id, place.path.startswith(county.path),
                               point.type == "hotline", _active_at(point, period.end_date)))
    query = (
        select(period.code, group.id, func.sum(case((has_line, 1), else_=0)), func.count(county.id))
        .select_from(group)
        .join(county, and_(county.path.startswith(group.path), county.level == "county"))
        .join(period, literal(True))
        .where(group.id.in_(group_ids), period.id.in_([p.id for p in period_list]))
        .group_by(period.code, group.id)
    )
    return _registry_frame(session, query, "hotline_24h")


REGISTRY_COUNTERS = {
    "room_coverage": _room_coverage,
    "school_rooms": _school_rooms,
    "hospital_clinics": _hospital_clinics,
    "hotline_24h": _hotline,
}


# --- summaries --------------------------------------------------------------------------------

@dataclass
class IndicatorStatus:
    code: str
    name_zh: str
    name_en: str
    kind: str
    unit: str
    is_target: bool
    higher_is_better: bool
    value: float | None
    numerator: float | None
    denominator: float | None
    previous: float | None
    target: TargetInfo | None
    expected: float | None
    status: str

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def _number(x: object) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def region_summary(session: Session, period: m.Period, region: m.Region) -> list[IndicatorStatus]:
    """Every indicator for one area and quarter: value, last quarter's value, target in force, status."""
    before = previous_period(session, period)
    period_list = [period] + ([before] if before else [])
    values = indicator_values(session, period_list, [region])
    lookup = {(r.indicator, r.period): r for r in values.itertuples(index=False)}
    targets = targets_in_force(session, period.end_date)
    counties = session.scalar(select(func.count(m.Region.id)).where(
        m.Region.level == "county", m.Region.path.startswith(region.path))) or 1
    out = []
    for ind in indicator_catalogue(session):
        row = lookup.get((ind.code, period.code))
        prev = lookup.get((ind.code, before.code)) if before else None
        target = targets.get(ind.code) if ind.is_target else None
        value = _number(row.value) if row else None
        expected = expected_by_period(target, ind.accumulate, period.quarter) if target else None
        if expected is not None and ind.kind == "count" and region.level in ("province", "city"):
            expected *= counties  # count targets are set per county
        out.append(IndicatorStatus(
            code=ind.code, name_zh=ind.name_zh, name_en=ind.name_en, kind=ind.kind, unit=ind.unit,
            is_target=ind.is_target, higher_is_better=ind.higher_is_better, value=value,
            numerator=_number(row.numerator) if row else None, denominator=_number(row.denominator) if row else None,
            previous=_number(prev.value) if prev else None, target=target, expected=expected,
            status=classify(value, target, ind.kind, ind.higher_is_better, expected)))
    return out
