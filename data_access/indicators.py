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

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import models as m
from data_access import rule_values
# Shared with the registry's lists, which count "in service" exactly as the rules do.
from data_access.rule_values import _active_at, _covering_paths, _prefix, _prefix_groups  # noqa: F401

MET, NEAR, BEHIND, NO_DATA, NO_TARGET = "met", "near", "behind", "no_data", "no_target"
STATUSES = (MET, NEAR, BEHIND, NO_DATA, NO_TARGET)

VALUE_COLUMNS = rule_values.VALUE_COLUMNS


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


def year_ago_period(session: Session, period: m.Period) -> m.Period | None:
    """The same quarter a year before (petitions are judged year on year)."""
    return session.scalar(select(m.Period).where(m.Period.year == period.year - 1,
                                                 m.Period.quarter == period.quarter))


def compared_periods(session: Session, period: m.Period,
                     indicators: Iterable[m.Indicator]) -> dict[str, m.Period | None]:
    """indicator code -> the quarter its change is read against (Indicator.compare_with)."""
    inds = list(indicators)
    before = previous_period(session, period)
    ago = year_ago_period(session, period) if any(i.compare_with == "year_ago" for i in inds) else None
    return {i.code: (ago if i.compare_with == "year_ago" else before) for i in inds}


def _with_compared(session: Session, values: pd.DataFrame | None, period: m.Period, groups: Sequence[m.Region],
                   compared: dict[str, m.Period | None], codes: Sequence[str]) -> pd.DataFrame:
    """The figures of `period` and of each indicator's comparison quarter: what the caller passed,
    plus a read of any comparison quarter it did not hold (a year-ago quarter)."""
    wanted = {period.code: set(codes)}
    for code, other in compared.items():
        if other is not None and code in codes:
            wanted.setdefault(other.code, set()).add(code)
    by_code = {period.code: period, **{p.code: p for p in compared.values() if p is not None}}
    if values is None:
        return indicator_values(session, [by_code[c] for c in wanted], groups, codes)
    held = set(values["period"].unique()) if not values.empty else set()
    extra = [c for c in wanted if c not in held and c != period.code]
    if not extra:
        return values
    more = indicator_values(session, [by_code[c] for c in extra], groups,
                            sorted(set().union(*(wanted[c] for c in extra))))
    return pd.concat([values, more], ignore_index=True) if not more.empty else values


# --- catalogue and targets ------------------------------------------------------------------

def indicator_catalogue(session: Session, targets_only: bool = False,
                        include_retired: bool = False) -> list[m.Indicator]:
    """The indicators pages, templates and the briefing show, in the administrator's order. A retired
    indicator is left out (its figures and targets stay in the database)."""
    query = select(m.Indicator).order_by(m.Indicator.sort_order, m.Indicator.id)
    if not include_retired:
        query = query.where(m.Indicator.retired_on.is_(None))
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
        value, due = step_due(target, on)
        out[code] = TargetInfo(value, target.comparison, due, target.near_band, target.effective_from)
    return out


def step_due(target: m.Target, on: dt.date) -> tuple[float, dt.date]:
    """(value, date) of the step a day is judged against: the next step due on or after it, or the
    last step once every date has passed. A target of one step is that step whatever the day.
    (30 % by 2019-12-31, 50 % by 2020-12-31: a quarter of 2020 works towards the 50 %.)"""
    steps = sorted(((dt.date.fromisoformat(str(s["date"])), float(s["value"])) for s in (target.steps or [])),
                   key=lambda s: s[0])
    if not steps:
        return target.value, target.target_date
    for due, value in steps:
        if due >= on:
            return value, due
    return steps[-1][1], steps[-1][0]


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
    frames = []
    reported = [catalogue[c] for c in wanted if catalogue[c].source == "report"]
    if reported:
        frames.append(_reported_values(session, period_list, groups, reported))
    for code in wanted:
        if catalogue[code].source == "registry":
            frames.append(_registry_values(session, period_list, groups, catalogue[code]))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[VALUE_COLUMNS]


def _reported_values(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region],
                     indicators: list[m.Indicator]) -> pd.DataFrame:
    below = aliased(m.Region)
    # Year-to-date indicators need the earlier quarters of each year as well.
    ytd = {i.id for i in indicators if i.accumulate == "ytd"}
    wanted_ids = {p.id for p in period_list}
    needed = set(wanted_ids)
    if ytd:
        years = {p.year for p in period_list}
        needed |= set(session.scalars(select(m.Period.id).where(m.Period.year.in_(years))))
    rows: list = []
    per_school = [i.id for i in indicators if i.level == "facility"]
    for length, paths in _prefix_groups(groups):
        key = _prefix(below.path, length)
        query = (
            select(m.Observation.indicator_id, m.Observation.period_id, key.label("gpath"),
                   func.sum(m.Observation.numerator).label("numerator"),
                   func.sum(m.Observation.denominator).label("denominator"),
                   func.sum(m.Observation.value).label("total"),
                   func.count(m.Observation.id).label("reports"))
            .join(below, below.id == m.Observation.region_id)
            .where(key.in_(list(paths)), m.Observation.period_id.in_(needed),
                   m.Observation.indicator_id.in_([i.id for i in indicators]))
            .group_by(m.Observation.indicator_id, m.Observation.period_id, key)
        )
        rows += [(ind, per, paths[gpath], num, den, tot, rep)
                 for ind, per, gpath, num, den, tot, rep in session.execute(query).all()]
        if per_school:
            # Figures reported per school add up like a township's: the schools under the area.
            query = (
                select(m.FacilityObservation.indicator_id, m.FacilityObservation.period_id, key.label("gpath"),
                       func.sum(m.FacilityObservation.value).label("total"),
                       func.count(m.FacilityObservation.id).label("reports"))
                .join(m.Facility, m.Facility.id == m.FacilityObservation.facility_id)
                .join(below, below.id == m.Facility.region_id)
                .where(key.in_(list(paths)), m.FacilityObservation.period_id.in_(needed),
                       m.FacilityObservation.indicator_id.in_(per_school))
                .group_by(m.FacilityObservation.indicator_id, m.FacilityObservation.period_id, key)
            )
            rows += [(ind, per, paths[gpath], None, None, tot, rep)
                     for ind, per, gpath, tot, rep in session.execute(query).all()]
    df = pd.DataFrame(rows, columns=["indicator_id", "period_id", "region_id", "numerator", "denominator", "total",
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
    for col in ("numerator", "denominator", "total"):
        df[col] = df[col].astype(float)
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


def _registry_values(session: Session, period_list: Sequence[m.Period], groups: Sequence[m.Region],
                     indicator: m.Indicator) -> pd.DataFrame:
    return rule_values.compute(session, indicator, period_list, groups)


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
    group_zh: str | None = None       # the heading it shares with others (双百计划)
    group_en: str | None = None
    compare_with: str = "previous"    # previous quarter, or "year_ago"

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


def region_summary(session: Session, period: m.Period, region: m.Region,
                   values: pd.DataFrame | None = None) -> list[IndicatorStatus]:
    """Every indicator for one area and quarter: value, last quarter's value, target in force, status.
    `values`: an indicator_values frame already holding this area's period and previous period (so a
    page that needs several views of the same figures queries once)."""
    catalogue = indicator_catalogue(session)
    compared = compared_periods(session, period, catalogue)
    values = _with_compared(session, values, period, [region], compared, [i.code for i in catalogue])
    values = values[values["region_id"] == region.id]
    lookup = {(r.indicator, r.period): r for r in values.itertuples(index=False)}
    targets = targets_in_force(session, period.end_date)
    counties = _counties_under(session, [region]).get(region.id) or 1
    out = []
    for ind in catalogue:
        row = lookup.get((ind.code, period.code))
        before = compared[ind.code]
        prev = lookup.get((ind.code, before.code)) if before else None
        target = targets.get(ind.code) if target_applies(ind, region.level) else None
        value = _number(row.value) if row else None
        expected = expected_by_period(target, ind.accumulate, period.quarter) if target else None
        if expected is not None and ind.kind == "count" and region.level in ("province", "city"):
            expected *= counties  # count targets are set per county
        out.append(IndicatorStatus(
            code=ind.code, name_zh=ind.name_zh, name_en=ind.name_en, kind=ind.kind, unit=ind.unit,
            is_target=ind.is_target, higher_is_better=ind.higher_is_better, value=value,
            numerator=_number(row.numerator) if row else None, denominator=_number(row.denominator) if row else None,
            previous=_number(prev.value) if prev else None, target=target, expected=expected,
            status=classify(value, target, ind.kind, ind.higher_is_better, expected),
            group_zh=ind.group_zh, group_en=ind.group_en, compare_with=ind.compare_with or "previous"))
    return out


# --- steering views: trajectories, rankings, comparisons between areas --------------------------

def quarter_index(year: int, quarter: int) -> int:
    """Quarters counted from year 0, so the distance between two quarters is a subtraction."""
    return year * 4 + quarter - 1


def date_quarter_index(day: dt.date) -> int:
    return quarter_index(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class Trajectory:
    """Where the current pace leads by the target date.

    needed_per_quarter: the straight-line change per quarter from the latest value to the target;
    pace_per_quarter: the average change per quarter over the recent window (None with one point);
    projected: latest value + pace x quarters left; on_track: met already, or projected reaches it
    (None when there is no pace to judge by).
    """

    value: float
    target: float
    quarters_left: int
    needed_per_quarter: float | None
    pace_per_quarter: float | None
    projected: float | None
    on_track: bool | None


def trajectory(history: Sequence[tuple[int, float | None]], target_value: float, target_index: int,
               higher_is_better: bool = True, window: int = 4) -> Trajectory | None:
    """history: (quarter index, value) oldest first; target_index: quarter index of the target date.

    The pace is the change between the latest value and the earliest value inside the last `window`
    quarters, per quarter — robust to one missing quarter, and to a single noisy quarter more than
    the last change alone.
    """
    points = [(i, float(v)) for i, v in history if _number(v) is not None]
    if not points:
        return None
    last_i, last_v = points[-1]
    direction = 1.0 if higher_is_better else -1.0
    quarters_left = max(0, target_index - last_i)
    recent = [(i, v) for i, v in points if i >= last_i - window]
    pace = None
    if len(recent) >= 2 and recent[-1][0] > recent[0][0]:
        pace = (recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0])
    needed = (target_value - last_v) / quarters_left if quarters_left > 0 else None
    projected = last_v + pace * quarters_left if pace is not None else None
    if direction * (last_v - target_value) >= -1e-9:
        on_track: bool | None = True
    elif quarters_left == 0:
        on_track = False
    elif projected is None:
        on_track = None
    else:
        on_track = direction * (projected - target_value) >= -1e-9
    return Trajectory(last_v, target_value, quarters_left, needed, pace, projected, on_track)


def ytd_trajectory(value: float, quarter: int, annual_target: float) -> Trajectory:
    """An annual count accumulated over the year: the pace is this year's average per quarter."""
    left = 4 - quarter
    pace = value / quarter if quarter else None
    projected = value + pace * left if pace is not None else None
    needed = (annual_target - value) / left if left > 0 else None
    if value >= annual_target - 1e-9:
        on_track: bool | None = True
    elif projected is None:
        on_track = None
    else:
        on_track = projected >= annual_target - 1e-9
    return Trajectory(value, annual_target, left, needed, pace, projected, on_track)


def competition_rank(values: dict, higher_is_better: bool = True) -> dict:
    """Standard competition ranking ("1, 2, 2, 4"): equal values share a rank, the next is skipped.

    Missing values get no rank (None) and do not push others down. Values are compared after
    rounding to 9 places so 0.1 + 0.2 ties with 0.3.
    """
    present = {k: round(float(v), 9) for k, v in values.items() if _number(v) is not None}
    ordered = sorted(present.values(), reverse=higher_is_better)
    first_at: dict[float, int] = {}
    for pos, v in enumerate(ordered, start=1):
        first_at.setdefault(v, pos)
    return {k: (first_at[present[k]] if k in present else None) for k in values}


def target_applies(indicator: m.Indicator, level: str) -> bool:
    """Whether an indicator's target is measured at this level.

    Count targets (200 certified counsellors, 40 sessions a year) are set for a whole county, so a
    township's count has no target of its own; a county-level indicator (the hotline) has no
    township value at all. Ratios and yes/no targets hold at every level.
    """
    if not indicator.is_target:
        return False
    if indicator.kind == "count" and level in ("township", "village"):
        return False
    if indicator.level == "county" and level in ("township", "village"):
        return False
    return True


def _counties_under(session: Session, groups: Sequence[m.Region]) -> dict[int, int]:
    """Number of counties at or below each group (count targets are per county)."""
    out = {g.id: (1 if g.level == "county" else 0) for g in groups}
    above = [g for g in groups if g.level in ("province", "city")]
    for length, paths in _prefix_groups(above):
        key = _prefix(m.Region.path, length)
        for gpath, n in session.execute(select(key, func.count(m.Region.id))
                                        .where(m.Region.level == "county", key.in_(list(paths)))
                                        .group_by(key)).all():
            out[paths[gpath]] = int(n)
    return out


def shortfall(value: float | None, goal: float | None, kind: str, higher_is_better: bool = True) -> float | None:
    """How far short of the goal, comparable across indicators: ratio points as a fraction, a count as
    a share of its goal. Negative or zero when the goal is met."""
    if _number(value) is None or goal is None:
        return None
    gap = (goal - value) if higher_is_better else (value - goal)
    if kind == "ratio" or kind == "yesno":
        return gap
    return gap / abs(goal) if goal else None


STATUS_COLUMNS = ["indicator", "region_id", "value", "numerator", "denominator", "reports", "previous", "change",
                  "expected", "status", "shortfall", "rank", "ranked"]


def group_statuses(session: Session, period: m.Period, groups: Sequence[m.Region],
                   codes: Iterable[str] | None = None, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """For sibling areas (e.g. every township) and indicators: value, last quarter, change, the goal
    for the period, status, shortfall and the rank among the given areas (1, 2, 2, 4).

    One indicator_values call for both quarters. A missing value stays NaN with status no_data and
    no rank; `ranked` is how many areas have a value.
    """
    catalogue = {i.code: i for i in indicator_catalogue(session)}
    wanted = [c for c in (codes or catalogue) if c in catalogue]
    if not groups or not wanted:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    compared = compared_periods(session, period, [catalogue[c] for c in wanted])
    values = _with_compared(session, values, period, groups, compared, wanted)
    lookup = {(r.indicator, r.period, r.region_id): r for r in values.itertuples(index=False)}
    targets = targets_in_force(session, period.end_date)
    counties = _counties_under(session, groups) if any(catalogue[c].kind == "count" for c in wanted) else {}
    rows = []
    for code in wanted:
        ind = catalogue[code]
        target = targets.get(code)
        before = compared[code]
        block = []
        for g in groups:
            row = lookup.get((code, period.code, g.id))
            prev = lookup.get((code, before.code, g.id)) if before else None
            value = _number(row.value) if row is not None else None
            previous = _number(prev.value) if prev is not None else None
            applies = target is not None and target_applies(ind, g.level)
            expected = expected_by_period(target, ind.accumulate, period.quarter) if applies else None
            if expected is not None and ind.kind == "count" and g.level in ("province", "city"):
                expected *= counties.get(g.id, 1)
            status = classify(value, target if applies else None, ind.kind, ind.higher_is_better, expected)
            block.append(dict(
                indicator=code, region_id=g.id, value=value,
                numerator=_number(row.numerator) if row is not None else None,
                denominator=_number(row.denominator) if row is not None else None,
                reports=int(row.reports) if row is not None else 0, previous=previous,
                change=(value - previous) if value is not None and previous is not None else None,
                expected=expected, status=status,
                shortfall=shortfall(value, expected, ind.kind, ind.higher_is_better)))
        ranks = competition_rank({r["region_id"]: r["value"] for r in block}, ind.higher_is_better)
        ranked = sum(v is not None for v in ranks.values())
        for r in block:
            r["rank"] = ranks[r["region_id"]]
            r["ranked"] = ranked
        rows += block
    df = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    return df


def needs_attention(session: Session, period: m.Period, groups: Sequence[m.Region], limit: int = 8,
                    values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Area x target indicator pairs furthest behind their goal (status behind or near), worst first.

    Shortfalls are comparable across indicators (points for rates, share of goal for counts), so one
    list ranks a 30-point gap in rehabilitation above a 2-point gap in awareness.
    """
    targets = [i.code for i in indicator_catalogue(session, targets_only=True)]
    df = group_statuses(session, period, groups, targets, values=values)
    df = df[df["status"].isin([BEHIND, NEAR])]
    return df.sort_values(["shortfall", "indicator"], ascending=[False, True]).head(limit).reset_index(drop=True)


def village_values(session: Session, period: m.Period, township: m.Region, code: str) -> pd.DataFrame | None:
    """Every village of a township for an indicator that exists at village level (room coverage: 1 or 0
    per village). None when the indicator has no village figures. Villages without data stay NaN."""
    ind = session.scalar(select(m.Indicator).where(m.Indicator.code == code))
    if ind is None or ind.level != "village":
        return None
    villages = [v for v in regions_at(session, township.code, "village")]
    if not villages:
        return pd.DataFrame(columns=["region_id", "code", "name_zh", "name_en", "value", "numerator", "denominator"])
    values = indicator_values(session, [period], villages, [code])
    by_id = {r.region_id: r for r in values.itertuples(index=False)}
    return pd.DataFrame([dict(region_id=v.id, code=v.code, name_zh=v.name_zh, name_en=v.name_en,
                              value=_number(by_id[v.id].value) if v.id in by_id else None,
                              numerator=_number(by_id[v.id].numerator) if v.id in by_id else None,
                              denominator=_number(by_id[v.id].denominator) if v.id in by_id else None)
                         for v in villages])


def service_points_by_type(session: Session, region: m.Region, on: dt.date) -> dict[str, int]:
    """Service points in service on a date at or below a region, counted by type."""
    query = (select(m.ServicePoint.type, func.count(m.ServicePoint.id))
             .join(m.Region, m.Region.id == m.ServicePoint.region_id)
             .where(_prefix(m.Region.path, len(region.path)) == region.path, _active_at(m.ServicePoint, on))
             .group_by(m.ServicePoint.type))
    return {t: int(n) for t, n in session.execute(query).all()}


# --- who is late ----------------------------------------------------------------------------------

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"


@dataclass(frozen=True)
class DepartmentReport:
    code: str
    name_zh: str
    name_en: str
    deadline: dt.date
    first_at: dt.datetime | None     # first accepted sheet (a later correction does not make it late)
    state: str                        # on_time / late / missing / not_due
    days_late: int | None


def department_reports(session: Session, period: m.Period, today: dt.date | None = None) -> list[DepartmentReport]:
    """Departments that owe a quarterly sheet, and when their first accepted sheet came in.

    The rules live in data_access.ingest.completeness (first version counts, rejected uploads do
    not, each quarter's own deadline); this picks one quarter's column of its matrix. A quarter that
    has not ended yet owes nothing ("not due").
    """
    from data_access.ingest import completeness

    today = today or dt.date.today()
    grid = completeness.matrix(session, today)
    out = []
    for d in grid["departments"]:
        cell = grid["cells"].get((d["code"], period.code))
        if cell is None or cell.status in (completeness.DUE, completeness.NOT_DUE):
            state, first_at, late = NOT_DUE, None, None
        else:
            state = {completeness.ON_TIME: ON_TIME, completeness.LATE: LATE}.get(cell.status, MISSING)
            first_at, late = cell.first_at, (cell.days_late or None)
        out.append(DepartmentReport(d["code"], d["name_zh"], d["name_en"], period.deadline, first_at, state, late))
    return out
