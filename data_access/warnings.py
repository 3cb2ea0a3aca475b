"""Aggregate early warning (预警): area x indicator pairs a leader should look at, each with the reason
in one sentence.

Rules (all on aggregate figures, never on a person):
- off_track: a target indicator short of its goal whose recent pace will not reach the target by the
  target date (see indicators.trajectory);
- drop: a move in the wrong direction since last quarter larger than usual for that area — more than
  twice its typical quarterly change (median of earlier absolute changes) and at least DROP_FLOOR, or
  more than DROP_POINTS whatever is usual;
- impossible: a reported numerator larger than its denominator (a typing or column slip);
- jump: a move in the good direction far beyond the usual (over three times typical and JUMP_POINTS),
  which more often means a changed definition or a typo than real progress (reported figures only:
  a registry-derived rate jumps for real when rooms open in a township with three schools).
Rates are measured in percentage points; counts in per cent of last quarter's value.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import indicators as ix
from data_access import models as m
from i18n import t
from i18n.numbers import count_text, fixed, percent

OFF_TRACK, DROP, IMPOSSIBLE, JUMP = "off_track", "drop", "impossible", "jump"
KINDS = (IMPOSSIBLE, OFF_TRACK, DROP, JUMP)

DROP_POINTS = 10.0     # a fall of more than 10 points (or 10 %) always counts
DROP_FLOOR = 3.0       # below 3 points (3 %) a fall is noise, however calm the history
JUMP_POINTS = 20.0     # a rise must exceed 20 points (or 100 % for counts) to look wrong
JUMP_POINTS_COUNT = 100.0


@dataclass(frozen=True)
class Flag:
    kind: str
    region_id: int
    region_code: str
    region_zh: str
    region_en: str
    indicator: str
    indicator_zh: str
    indicator_en: str
    reason_key: str
    values: dict = field(default_factory=dict)
    severity: float = 0.0     # larger = more urgent, for ordering within a kind

    def reason(self, lang: str) -> str:
        return t(self.reason_key, lang, **self.values)


def _pct(value: float) -> str:
    return f"{percent(value)}%"


def _num(value: float) -> str:
    return count_text(value)


def _movement(kind: str, now: float, before: float) -> float | None:
    """Change in the rule's unit: points for rates, per cent of last quarter for counts."""
    if kind == "ratio":
        return (now - before) * 100
    if before == 0:
        return None
    return (now - before) / abs(before) * 100


def early_warnings(session: Session, period: m.Period, groups: Sequence[m.Region] | None = None,
                   values: pd.DataFrame | None = None) -> list[Flag]:
    """Every flag for the areas (default: the root's children, i.e. the townships of a county) in the period.

    Two queries: the history of every indicator up to the period for all areas at once, and the
    numerator > denominator check over the reported rows at or below them.
    """
    if groups is None:
        root = ix.root_region(session)
        groups = ix.regions_at(session, root.code) if root else []
    groups = list(groups)
    if not groups:
        return []
    history = [p for p in ix.periods(session) if p.end_date <= period.end_date]
    catalogue = {i.code: i for i in ix.indicator_catalogue(session)}
    targets = ix.targets_in_force(session, period.end_date)
    index_of = {p.code: ix.quarter_index(p.year, p.quarter) for p in history}
    now_index = ix.quarter_index(period.year, period.quarter)
    by_id = {g.id: g for g in groups}
    if values is None:  # or the caller's frame holding every quarter up to the period for these areas
        values = ix.indicator_values(session, history, groups)
    values = values[values["region_id"].isin(list(by_id)) & values["period"].isin(list(index_of))]
    flags: list[Flag] = []

    series: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for r in values.itertuples(index=False):
        v = ix._number(r.value)
        if v is not None:
            series.setdefault((r.indicator, r.region_id), []).append((index_of[r.period], v))

    for (code, region_id), points in series.items():
        ind = catalogue[code]
        region = by_id[region_id]
        points.sort()
        if points[-1][0] != now_index:
            continue  # nothing this quarter: missing is shown as missing elsewhere, not warned on
        base = dict(region_id=region.id, region_code=region.code, region_zh=region.name_zh, region_en=region.name_en,
                    indicator=code, indicator_zh=ind.name_zh, indicator_en=ind.name_en)
        value = points[-1][1]
        fmt = _pct if ind.kind == "ratio" else _num

        # 1. will it reach the target by the target date?
        target = targets.get(code)
        if target is not None and ix.target_applies(ind, region.level) and ind.accumulate != "ytd":
            goal = target.value
            status = ix.classify(value, target, ind.kind, ind.higher_is_better)
            traj = ix.trajectory(points, goal, ix.date_quarter_index(target.target_date), ind.higher_is_better)
            if status != ix.MET and traj is not None and traj.on_track is False:
                gap = ix.shortfall(value, goal, ind.kind, ind.higher_is_better) or 0.0
                if traj.quarters_left == 0:
                    key, extra = "warn.reason.overdue", {}
                else:
                    key = "warn.reason.off_track"
                    extra = dict(pace=_signed(traj.pace_per_quarter or 0.0, ind.kind),
                                 projected=fmt(traj.projected if traj.projected is not None else value),
                                 needed=_signed(traj.needed_per_quarter or 0.0, ind.kind))
                flags.append(Flag(OFF_TRACK, **base, reason_key=key, severity=gap,
                                  values=dict(value=fmt(value), target=fmt(goal), date=target.target_date.isoformat(),
                                              **extra)))

        # 2./4. unusual moves since last quarter (not for year-to-date sums, which restart each year)
        if ind.accumulate == "ytd" or len(points) < 2 or points[-2][0] != now_index - 1:
            continue
        moves = [_movement(ind.kind, b, a) for (_, a), (_, b) in zip(points, points[1:])]
        last = moves[-1]
        if last is None:
            continue
        earlier = [abs(x) for x in moves[:-1] if x is not None]
        typical = statistics.median(earlier) if earlier else None
        worse = -last if ind.higher_is_better else last
        unit = "ratio" if ind.kind == "ratio" else "count"
        if worse > 0 and (worse > DROP_POINTS or (typical is not None and worse > 2 * typical and worse >= DROP_FLOOR)):
            direction = "down" if last < 0 else "up"
            flags.append(Flag(DROP, **base, reason_key=f"warn.reason.drop.{unit}.{direction}", severity=worse,
                              values=dict(change=fixed(abs(last)), before=fmt(points[-2][1]), value=fmt(value),
                                          typical=fixed(typical) if typical is not None else "—")))
        elif worse < 0 and ind.source == "report":  # registry counts move when rooms open: real, not typos
            better = -worse
            limit = JUMP_POINTS if ind.kind == "ratio" else JUMP_POINTS_COUNT
            if better > limit and (typical is None or better > 3 * typical):
                direction = "up" if last > 0 else "down"
                flags.append(Flag(JUMP, **base, reason_key=f"warn.reason.jump.{unit}.{direction}", severity=better,
                                  values=dict(change=fixed(abs(last)), before=fmt(points[-2][1]), value=fmt(value),
                                              typical=fixed(typical) if typical is not None else "—")))

    flags += _impossible(session, period, groups, catalogue)
    order = {k: i for i, k in enumerate(KINDS)}
    flags.sort(key=lambda f: (order[f.kind], -f.severity, f.region_code, f.indicator))
    return flags


def _signed(change: float, kind: str) -> str:
    return percent(change, 1, sign=True) if kind == "ratio" else fixed(change, 1, sign=True, grouping=True)


def _impossible(session: Session, period: m.Period, groups: Sequence[m.Region],
                catalogue: dict[str, m.Indicator]) -> list[Flag]:
    """Reported rows where the numerator exceeds the denominator, at or below the areas."""
    out: list[Flag] = []
    for length, paths in ix._prefix_groups(groups):
        key = func.substr(m.Region.path, 1, length)
        rows = session.execute(
            select(m.Region, m.Indicator.code, m.Observation.numerator, m.Observation.denominator)
            .join(m.Observation, m.Observation.region_id == m.Region.id)
            .join(m.Indicator, m.Indicator.id == m.Observation.indicator_id)
            .where(m.Observation.period_id == period.id, key.in_(list(paths)),
                   m.Observation.numerator > m.Observation.denominator)
            .order_by(m.Region.code, m.Indicator.sort_order)).all()
        for region, code, num, den in rows:
            ind = catalogue[code]
            out.append(Flag(IMPOSSIBLE, region.id, region.code, region.name_zh, region.name_en, code, ind.name_zh,
                            ind.name_en, "warn.reason.impossible", dict(numerator=_num(num), denominator=_num(den)),
                            severity=float(num - den)))
    return out


def count_by_kind(flags: Sequence[Flag]) -> dict[str, int]:
    return {k: sum(f.kind == k for f in flags) for k in KINDS}


__all__ = ["Flag", "KINDS", "OFF_TRACK", "DROP", "IMPOSSIBLE", "JUMP", "early_warnings", "count_by_kind"]
