"""Coverage as the catalogue defines it: every registry rule of type "share" in use (villages,
townships, or schools / hospitals of given kinds with a point of given types) gives the map a
colouring, the coverage summary a column and the gap lists a list, named by the indicator itself.

Why here and not with fixed codes: a county retires the sample's room_coverage / school_rooms and
writes its own share rules (on its own point types); the map, the summary, the gap lists and the
briefing then follow the catalogue with no code change. The figures themselves come from
data_access.indicators (rule_values), the one place coverage is counted.

public=True reads through data_access.suppression.public_values, the entry point of every view the
meeting-screen account gets; registry shares count public places and pass unchanged, but a path the
display account reaches goes through the same gate as every other.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from data_access import indicators as ix
from data_access import models as m
from data_access import suppression as sup
from data_access.catalogue import point_types
from i18n import name_of, t

UNITS = ("village", "township", "facility")
# Gap list columns per unit (the page names them in the user's language).
GAP_COLUMNS = {"village": ["code", "township", "name", "kind", "population"],
               "township": ["code", "name", "population"],
               "facility": ["code", "township", "name", "kind", "population"]}


def is_share(ind: m.Indicator) -> bool:
    """A registry rule "share of <unit> with a point of these types", complete enough to count."""
    rule = ind.rule or {}
    return (ind.source == "registry" and rule.get("type") == "share" and rule.get("unit") in UNITS
            and bool(rule.get("point_types")))


def share_indicators(session: Session) -> list[m.Indicator]:
    """The share rules in use, in the administrator's order (retired ones left out)."""
    return [i for i in ix.indicator_catalogue(session) if is_share(i)]


def share_indicator(session: Session, code: str | None) -> m.Indicator | None:
    return next((i for i in share_indicators(session) if i.code == code), None)


def _join(names: Sequence[str], lang: str, word: str = "or") -> str:
    if lang == "en":
        return f" {word} ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + f" {word} " + names[-1]
    return ("或" if word == "or" else "、").join(names)


def point_words(session: Session, ind: m.Indicator, lang: str) -> str:
    """The rule's point types as one phrase: "村（社区）心理咨询室或村（社区）社会工作室"."""
    labels = point_types.type_labels(session, lang)
    return _join([labels.get(x, x) for x in (ind.rule or {}).get("point_types") or []], lang)


def unit_words(session: Session, ind: m.Indicator, lang: str) -> str:
    """What the rule counts: "村（社区）", "乡镇（街道）" or the facility kinds ("小学、中学")."""
    rule = ind.rule or {}
    if rule.get("unit") != "facility":
        return t(f"catalogue.unit.{rule.get('unit')}", lang)
    labels = point_types.facility_kind_labels(session, lang)
    return _join([labels.get(k, k) for k in rule.get("facility_kinds") or []], lang, "and")


def unit_column(session: Session, ind: m.Indicator, lang: str) -> str:
    """The header of a gap list's name column: 村（社区）, 乡镇（街道）, 学校, 医院 or 单位."""
    rule = ind.rule or {}
    if rule.get("unit") == "village":
        return t("common.village", lang)
    if rule.get("unit") == "township":
        return t("common.township", lang)
    kinds = set(rule.get("facility_kinds") or [])
    categories = set(session.scalars(select(m.FacilityKind.category).where(m.FacilityKind.code.in_(kinds))))
    category = categories.pop() if len(categories) == 1 else "other"
    return t(f"coverage.col.{category}", lang)


def _area(session: Session, area_code: str | None) -> m.Region | None:
    return ix.region_by_code(session, area_code) if area_code else ix.root_region(session)


def _exempt(ind: m.Indicator) -> bool:
    """A figure the public may read per unit: registry counts of public places (suppression rules)."""
    return ind.source in sup.EXEMPT_SOURCES


# --- the summary per township (per county for a province) -------------------------------------------

def summary_columns(codes: Sequence[str]) -> list[str]:
    return ["code", "township"] + [c for code in codes for c in (f"{code}.n", f"{code}.d", code, f"{code}.hidden")]


def coverage_summary(session: Session, period: m.Period, lang: str = "zh", area_code: str | None = None,
                     public: bool = False) -> pd.DataFrame:
    """Per township (per county for a province/city), for every share rule in use: units with a point
    (`<code>.n`), units (`<code>.d`), the share (`<code>`) at the period end, and whether suppression
    hid it (`<code>.hidden`). The last row is the
    area total (code = area code). A unit without a figure (no school in a township) reads NaN."""
    inds = share_indicators(session)
    codes = [i.code for i in inds]
    cols = summary_columns(codes)
    area = _area(session, area_code)
    if area is None or not codes:
        return pd.DataFrame(columns=cols)
    # A province or city lists its counties (hundreds of townships would not read as a summary).
    unit_level = "county" if area.level in ("province", "city") else "township"
    children = ix.regions_at(session, area.code, unit_level)
    if public:
        values, totals = sup.public_values(session, [period], children, area, codes)
        values = pd.concat([values, totals]) if totals is not None and not totals.empty else values
    else:
        values = ix.indicator_values(session, [period], [*children, area], codes)
    lookup = {(r.indicator, int(r.region_id)): r for r in values.itertuples(index=False)}
    rows = []
    for g in [*children, area]:
        label = name_of(g, lang) if g is not area else t("map.summary.total", lang, name=name_of(g, lang))
        row: dict[str, Any] = dict(code=g.code, township=label)
        for code in codes:
            r = lookup.get((code, g.id))
            row[f"{code}.n"] = float(r.numerator) if r is not None else math.nan
            row[f"{code}.d"] = float(r.denominator) if r is not None else math.nan
            row[code] = float(r.value) if r is not None else math.nan
            # Hidden by small-count suppression (public only): "*", never "no such unit".
            row[f"{code}.hidden"] = bool(r is not None and isinstance(getattr(r, "value_flag", None), str))
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


# --- gap lists ------------------------------------------------------------------------------------

def gaps(session: Session, period: m.Period, code: str, lang: str = "zh", area_code: str | None = None,
         township_code: str | None = None, public: bool = False) -> pd.DataFrame:
    """The units a share rule counts that have no point of its types in service at the period end:
    villages, townships or facilities (GAP_COLUMNS of its unit), most populous first. Empty for a
    code that is not a share rule in use."""
    ind = share_indicator(session, code)
    if ind is None:
        return pd.DataFrame(columns=GAP_COLUMNS["village"])
    unit = ind.rule["unit"]
    cols = GAP_COLUMNS[unit]
    area = ix.region_by_code(session, township_code) if township_code else _area(session, area_code)
    if area is None or (public and not _exempt(ind)):
        # A unit-by-unit yes/no of a figure about people would be a small count on a public screen.
        return pd.DataFrame(columns=cols)
    if unit == "facility":
        frame = _facility_gaps(session, period, ind, area, lang)
    else:
        frame = _region_gaps(session, period, ind, area, unit, lang)
    return frame.sort_values(["population", "code"], ascending=[False, True]).reset_index(drop=True)[cols]


def _region_gaps(session: Session, period: m.Period, ind: m.Indicator, area: m.Region, unit: str,
                 lang: str) -> pd.DataFrame:
    """Villages (or townships) without: the rule computed by indicators for each unit (numerator 0)."""
    units = [area] if area.level == unit else ix.regions_at(session, area.code, unit)
    parents = {r.id: r for r in ix.regions_at(session, area.code, "township")}
    if area.level == "township":
        parents[area.id] = area
    values = ix.indicator_values(session, [period], units, [ind.code])
    covered = {int(r.region_id) for r in values.itertuples(index=False) if (r.numerator or 0) > 0}
    rows = [dict(code=u.code, township=name_of(parents[u.parent_id], lang) if u.parent_id in parents else "",
                 name=name_of(u, lang), kind=t(f"registry.kind.{u.kind or 'village'}", lang),
                 population=u.population or 0)
            for u in units if u.id not in covered]
    return pd.DataFrame(rows, columns=GAP_COLUMNS["village"])


def _facility_gaps(session: Session, period: m.Period, ind: m.Indicator, area: m.Region,
                   lang: str) -> pd.DataFrame:
    """Facilities of the rule's kinds open at the period end with no point of its types attached and
    in service then: the same conditions as rule_values.share_of_facilities counts. Facilities carry
    no size here, so they are sorted by their township's resident population."""
    rule = ind.rule or {}
    end = period.end_date
    has_point = exists().where(m.ServicePoint.facility_id == m.Facility.id,
                               m.ServicePoint.type.in_(tuple(rule.get("point_types") or ())),
                               ix._active_at(m.ServicePoint, end))
    conditions = [m.Region.path.startswith(area.path),
                  or_(m.Facility.opened_on.is_(None), m.Facility.opened_on <= end),
                  or_(m.Facility.closed_on.is_(None), m.Facility.closed_on > end), ~has_point]
    if rule.get("facility_kinds"):
        conditions.append(m.Facility.kind.in_(tuple(rule["facility_kinds"])))
    if rule.get("listed_only"):
        conditions.append(m.Facility.is_listed.is_(True))
    kind_labels = point_types.facility_kind_labels(session, lang)
    rows = []
    for facility, region in session.execute(select(m.Facility, m.Region)
                                            .join(m.Region, m.Region.id == m.Facility.region_id).where(*conditions)):
        township = region if region.level == "township" else region.parent
        rows.append(dict(code=facility.code, township=name_of(township, lang) if township else "",
                         name=name_of(facility, lang), kind=kind_labels.get(facility.kind, facility.kind),
                         population=(township.population if township else 0) or 0))
    return pd.DataFrame(rows, columns=GAP_COLUMNS["facility"])
