"""Registry rules and per-unit minimums as an administrator writes them: checked before they are
stored, and described in words for the admin page and the indicator pages.

The rule shapes are listed in data_access.rule_values, which computes them.
"""
from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.admin import InvalidInput
from data_access.rule_values import RULE_TYPES, SHARE_UNITS
from i18n import t

UNIT_LEVELS = ("township", "village", "facility")


def kind_of(rule: dict[str, Any]) -> str:
    """The indicator kind a rule gives: a share or units meeting a minimum is a ratio, a point that
    exists yes/no, points per 10,000 residents a rate."""
    return {"share": "ratio", "units_meeting": "ratio", "exists": "yesno", "per_10k": "rate"}[rule["type"]]


def level_of(rule: dict[str, Any]) -> str:
    """The finest level a rule's figure exists at (village coverage drills down to each village)."""
    if rule["type"] == "exists":
        return "county"
    if rule["type"] == "share" and rule.get("unit") == "village":
        return "village"
    if rule["type"] == "units_meeting":
        # Schools meeting a minimum are counted per township (like a share of facilities).
        return "township" if rule.get("unit") == "facility" else rule.get("unit") or "township"
    return "township"


def check_rule(session: Session, rule: dict[str, Any] | None, own_code: str | None = None) -> dict[str, Any]:
    """The rule as it will be stored, or InvalidInput saying what is wrong (nothing changed)."""
    if not isinstance(rule, dict) or rule.get("type") not in RULE_TYPES:
        raise InvalidInput("catalogue.err.rule_type")
    kind = rule["type"]
    if kind == "units_meeting":
        base_code = str(rule.get("indicator") or "").strip()
        base = session.scalar(select(m.Indicator).where(m.Indicator.code == base_code)) if base_code else None
        if base is None or base.code == own_code:
            raise InvalidInput("catalogue.err.rule_indicator", code=base_code or "—")
        if base.source != "report" or base.kind not in ("count", "yesno"):
            raise InvalidInput("catalogue.err.rule_indicator_kind", name=base.name_zh)
        try:
            minimum = float(rule.get("minimum"))
        except (TypeError, ValueError):
            minimum = math.nan
        if not math.isfinite(minimum) or minimum <= 0:
            raise InvalidInput("catalogue.err.rule_minimum", value=str(rule.get("minimum")))
        unit = rule.get("unit") or "township"
        if unit not in UNIT_LEVELS:
            raise InvalidInput("catalogue.err.rule_unit")
        # Schools are counted from a figure reported per school, townships and villages from one
        # reported per region: the two are stored apart.
        if (unit == "facility") != (base.level == "facility"):
            raise InvalidInput("catalogue.err.rule_base_level", name=base.name_zh)
        out = {"type": kind, "indicator": base.code, "minimum": minimum, "unit": unit}
        if unit == "facility":
            out["facility_kinds"] = _facility_kinds(session, rule)
        return out
    known_types = set(session.scalars(select(m.PointType.code)))
    types = [str(x) for x in (rule.get("point_types") or [])]
    if not types:
        raise InvalidInput("catalogue.err.rule_point_types")
    unknown = [x for x in types if x not in known_types]
    if unknown:
        raise InvalidInput("catalogue.err.rule_unknown_type", codes="、".join(unknown))
    out: dict[str, Any] = {"type": kind, "point_types": sorted(set(types), key=types.index)}
    if kind == "share":
        unit = rule.get("unit")
        if unit not in SHARE_UNITS:
            raise InvalidInput("catalogue.err.rule_unit")
        out["unit"] = unit
        if unit == "facility":
            out["facility_kinds"] = _facility_kinds(session, rule)
            out["listed_only"] = bool(rule.get("listed_only"))
    return out


def _facility_kinds(session: Session, rule: dict[str, Any]) -> list[str]:
    """The rule's facility kinds, at least one and each known (in the order chosen, once each)."""
    kinds = [str(x) for x in (rule.get("facility_kinds") or [])]
    if not kinds:
        raise InvalidInput("catalogue.err.rule_facility_kinds")
    known_kinds = set(session.scalars(select(m.FacilityKind.code)))
    unknown = [x for x in kinds if x not in known_kinds]
    if unknown:
        raise InvalidInput("catalogue.err.rule_unknown_kind", codes="、".join(unknown))
    return sorted(set(kinds), key=kinds.index)


def _kind_names(session: Session, codes: list[str], lang: str) -> str:
    kinds = {c: (en if lang == "en" else zh) for c, zh, en in
             session.execute(select(m.FacilityKind.code, m.FacilityKind.name_zh, m.FacilityKind.name_en))}
    return ("、" if lang == "zh" else ", ").join(kinds.get(x, x) for x in codes)


def describe(session: Session, rule: dict[str, Any] | None, lang: str = "zh") -> str:
    """The rule in one sentence: "村（社区）中至少有一个在用的 村（社区）心理咨询室、… 的比例"."""
    if not rule:
        return ""
    sep = "、" if lang == "zh" else ", "
    if rule.get("type") == "units_meeting":
        base = session.scalar(select(m.Indicator).where(m.Indicator.code == rule.get("indicator")))
        base_name = (base.name_en if lang == "en" else base.name_zh) if base else str(rule.get("indicator"))
        minimum = rule.get("minimum", 1)
        if rule.get("unit") == "facility":
            return t("catalogue.rule.units_meeting_facility", lang, indicator=base_name, minimum=f"{float(minimum):g}",
                     facilities=_kind_names(session, list(rule.get("facility_kinds") or []), lang))
        return t("catalogue.rule.units_meeting", lang, unit=t(f"catalogue.unit.{rule.get('unit', 'township')}", lang),
                 indicator=base_name, minimum=f"{float(minimum):g}")
    types: dict[str, str] = {}
    for code, zh, en in session.execute(select(m.PointType.code, m.PointType.name_zh, m.PointType.name_en)):
        types[code] = en if lang == "en" else zh
    names = sep.join(types.get(x, x) for x in rule.get("point_types") or [])
    if rule.get("type") == "share" and rule.get("unit") == "facility":
        facilities = _kind_names(session, list(rule.get("facility_kinds") or []), lang)
        key = "catalogue.rule.share_listed" if rule.get("listed_only") else "catalogue.rule.share_facility"
        return t(key, lang, facilities=facilities, types=names)
    if rule.get("type") == "share":
        return t("catalogue.rule.share", lang, unit=t(f"catalogue.unit.{rule.get('unit')}", lang), types=names)
    return t(f"catalogue.rule.{rule.get('type')}", lang, types=names)
