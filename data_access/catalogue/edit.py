"""Every change an administrator makes to the catalogue: indicators (create, edit, retire, restore,
reorder), service-point types and facility kinds with their import aliases.

Each write checks the role first ("reference.edit"), validates everything before it changes
anything (InvalidInput with a catalogue key: the page shows a Chinese sentence, nothing changed),
writes its audit row in the same transaction and bumps the data version, so templates, pages and
the briefing follow at once. The session-level functions (create_indicator_in) serve the presets.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.access import Actor, require
from data_access.admin import CODE_RE, InvalidInput, clean_text, row_or_refuse
from data_access.audit import record
from data_access.catalogue import rules
from data_access.db import bump_data_version, session_scope
from i18n import t

SOURCES = ("report", "registry")
REPORT_KINDS = ("ratio", "count", "yesno")
REPORT_LEVELS = ("township", "village", "facility")
# Departments whose quarterly sheet has one row per facility: an indicator reported "per facility"
# must belong to one of them (its figures are filed against the facilities that sheet lists).
FACILITY_SHEETS = ("school",)
ACCUMULATE = ("none", "ytd")
COMPARE_WITH = ("previous", "year_ago")
EDITABLE = ("name_zh", "name_en", "unit", "owner_department_id", "level", "is_target", "higher_is_better",
            "accumulate", "compare_with", "numerator_label_zh", "numerator_label_en", "denominator_label_zh",
            "denominator_label_en", "description_zh", "group_zh", "group_en", "rule", "kind")
FACILITY_CATEGORIES = m.FACILITY_CATEGORIES


def _snapshot(ind: m.Indicator) -> dict[str, Any]:
    out = {f: getattr(ind, f) for f in ("code", "source", *EDITABLE, "sort_order")}
    out["retired_on"] = ind.retired_on.isoformat() if ind.retired_on else None
    return out


def _clean_fields(session: Session, fields: dict[str, Any], source: str, code: str | None) -> dict[str, Any]:
    """The indicator's settings as they will be stored, checked together (InvalidInput, nothing changed)."""
    out: dict[str, Any] = {}
    out["name_zh"] = clean_text(fields.get("name_zh"), "admin.field.name_zh", max_len=128)
    out["name_en"] = clean_text(fields.get("name_en"), "admin.field.name_en", max_len=255)
    out["unit"] = clean_text(fields.get("unit"), "catalogue.field.unit", max_len=16, required=False) or ""
    owner = fields.get("owner_department_id")
    if owner is not None:
        row_or_refuse(session, m.Department, int(owner))
    out["owner_department_id"] = int(owner) if owner is not None else None
    if source == "registry":
        rule = rules.check_rule(session, fields.get("rule"), own_code=code)
        out["rule"] = rule
        out["kind"] = rules.kind_of(rule)
        out["level"] = rules.level_of(rule)
        out["accumulate"] = "none"
    else:
        kind = fields.get("kind")
        if kind not in REPORT_KINDS:
            raise InvalidInput("catalogue.err.kind")
        level = fields.get("level") or "township"
        if level not in REPORT_LEVELS:
            raise InvalidInput("catalogue.err.level")
        accumulate = fields.get("accumulate") or "none"
        if accumulate not in ACCUMULATE or (accumulate == "ytd" and kind != "count"):
            raise InvalidInput("catalogue.err.accumulate")
        if level == "facility":
            # One school's figure: a count or a yes/no a per-unit minimum can compare, on the sheet
            # of a department that reports per facility.
            if kind not in ("count", "yesno"):
                raise InvalidInput("catalogue.err.facility_kind")
            department = session.get(m.Department, out["owner_department_id"]) if owner is not None else None
            if department is None or department.reports_by not in FACILITY_SHEETS:
                raise InvalidInput("catalogue.err.facility_owner")
            if accumulate != "none":
                raise InvalidInput("catalogue.err.accumulate")
        out.update(kind=kind, level=level, accumulate=accumulate, rule=None)
    compare = fields.get("compare_with") or "previous"
    if compare not in COMPARE_WITH:
        raise InvalidInput("catalogue.err.compare_with")
    out["compare_with"] = compare
    out["is_target"] = bool(fields.get("is_target", True))
    out["higher_is_better"] = bool(fields.get("higher_is_better", True))
    for key, limit in (("numerator_label_zh", 64), ("denominator_label_zh", 64), ("numerator_label_en", 128),
                       ("denominator_label_en", 128), ("group_zh", 64), ("group_en", 128)):
        out[key] = clean_text(fields.get(key), f"catalogue.field.{key}", max_len=limit, required=False)
    if source == "report" and out["kind"] == "ratio" and not (out["numerator_label_zh"] and out["denominator_label_zh"]):
        # The template's two columns need names a liaison understands.
        raise InvalidInput("catalogue.err.ratio_labels")
    if source == "registry" and out["rule"]["type"] == "units_meeting" and not out["numerator_label_zh"]:
        # The pages say "n of N schools meet it": the two words, unless the admin wrote their own.
        unit = out["rule"]["unit"]
        for part in ("numerator", "denominator"):
            for lang in ("zh", "en"):
                out[f"{part}_label_{lang}"] = out[f"{part}_label_{lang}"] or t(f"catalogue.meeting.{unit}.{part}", lang)
    if source != "report" or out["kind"] != "ratio":
        for key in ("numerator_label_zh", "numerator_label_en", "denominator_label_zh", "denominator_label_en"):
            out[key] = out[key] if source == "registry" else None
    out["description_zh"] = clean_text(fields.get("description_zh"), "admin.field.description", max_len=2000,
                                       required=False)
    return out


def create_indicator_in(session: Session, actor: Actor | None, code: str, source: str,
                        fields: dict[str, Any]) -> m.Indicator:
    """Add an indicator at the end of the catalogue (session-level: the presets call it too)."""
    require(actor, "reference.edit")
    code_c = (code or "").strip().lower()
    if not CODE_RE.match(code_c):
        raise InvalidInput("admin.err.code", code=code or "")
    if source not in SOURCES:
        raise InvalidInput("catalogue.err.source")
    if session.scalar(select(m.Indicator.id).where(m.Indicator.code == code_c)):
        raise InvalidInput("admin.err.code_taken", code=code_c)
    values = _clean_fields(session, fields, source, code_c)
    order = (session.scalar(select(func.max(m.Indicator.sort_order))) or 0) + 1
    ind = m.Indicator(code=code_c, source=source, sort_order=order, **values)
    session.add(ind)
    session.flush()
    record(session, actor, "indicator.create", "indicator", code_c, after=_snapshot(ind))
    bump_data_version(session)
    return ind


def create_indicator(engine: Engine, actor: Actor | None, code: str, source: str, **fields: Any) -> int:
    """A new indicator: reported (ratio, count, yes/no) or computed by a registry rule."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        return create_indicator_in(s, actor, code, source, fields).id


def edit_indicator(engine: Engine, actor: Actor | None, indicator_id: int, **fields: Any) -> None:
    """Change an indicator's settings (not its code or source: figures are stored under them).
    A reported indicator's kind stays as its figures were reported. A registry rule may change its
    type too (share -> per 10,000): the kind and level follow the rule (rules.kind_of / level_of),
    and its history follows at once, since every quarter is counted from the registry."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        before = _snapshot(ind)
        merged = {f: getattr(ind, f) for f in EDITABLE}
        merged.update(fields)
        if ind.source == "report":
            merged["kind"] = ind.kind
            # Per-facility figures and per-region figures are stored apart: moving between them
            # would leave the reported figures behind.
            if (merged.get("level") == "facility") != (ind.level == "facility"):
                raise InvalidInput("catalogue.err.level_fixed")
        old_type = (ind.rule or {}).get("type")
        new_type = (merged.get("rule") or {}).get("type") if isinstance(merged.get("rule"), dict) else None
        if ind.source == "registry" and new_type != old_type:
            # A rule of another type counts something else (points / residents, not villages with a
            # room / villages): the old numerator and denominator names would mislabel its figures.
            for key in ("numerator_label_zh", "numerator_label_en", "denominator_label_zh", "denominator_label_en"):
                if key not in fields:
                    merged[key] = None
        values = _clean_fields(s, merged, ind.source, ind.code)
        for key, value in values.items():
            setattr(ind, key, value)
        after = _snapshot(ind)
        if after == before:
            return
        record(s, actor, "indicator.update", "indicator", ind.code, before=before, after=after)
        bump_data_version(s)


def retire_indicator(engine: Engine, actor: Actor | None, indicator_id: int, on: dt.date | None = None) -> None:
    """Take an indicator off the pages and templates. Its figures and targets stay (history kept);
    restore_indicator brings it back."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        if ind.retired_on is not None:
            return
        dependants = [i.name_zh for i in s.scalars(select(m.Indicator).where(m.Indicator.retired_on.is_(None)))
                      if (i.rule or {}).get("indicator") == ind.code]
        if dependants:
            raise InvalidInput("catalogue.err.retire_base", names="、".join(dependants))
        ind.retired_on = on or dt.date.today()
        record(s, actor, "indicator.retire", "indicator", ind.code, before=dict(retired_on=None),
               after=dict(retired_on=ind.retired_on.isoformat()))
        bump_data_version(s)


def restore_indicator(engine: Engine, actor: Actor | None, indicator_id: int) -> None:
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        if ind.retired_on is None:
            return
        before = ind.retired_on.isoformat()
        ind.retired_on = None
        record(s, actor, "indicator.restore", "indicator", ind.code, before=dict(retired_on=before),
               after=dict(retired_on=None))
        bump_data_version(s)


def move_indicator(engine: Engine, actor: Actor | None, indicator_id: int, step: int) -> None:
    """Move an indicator up (step -1) or down (+1) among the indicators in use; the pages, templates
    and briefing list indicators in this order."""
    require(actor, "reference.edit")
    if step not in (-1, 1):
        raise InvalidInput("admin.err.not_found")
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        ordered = list(s.scalars(select(m.Indicator).where(m.Indicator.retired_on.is_(None))
                                 .order_by(m.Indicator.sort_order, m.Indicator.id)))
        if ind not in ordered:
            return
        i = ordered.index(ind)
        j = i + step
        if not 0 <= j < len(ordered):
            return
        before = [x.code for x in ordered]
        ordered[i], ordered[j] = ordered[j], ordered[i]
        for n, x in enumerate(ordered, start=1):
            x.sort_order = n
        record(s, actor, "indicator.move", "indicator", ind.code, before=dict(order=before),
               after=dict(order=[x.code for x in ordered]))
        bump_data_version(s)


# ---------------------------------------------------------------- point types and facility kinds

def _clean_aliases(values: list[str] | str | None) -> list[str]:
    if isinstance(values, str):
        values = values.replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
    out: list[str] = []
    for a in values or []:
        a = (a or "").strip()
        if a and a not in out:
            if len(a) > 64:
                raise InvalidInput("admin.err.too_long", field="admin.field.aliases", max=64)
            out.append(a)
    return out


def _type_snapshot(p: m.PointType) -> dict[str, Any]:
    return dict(code=p.code, name_zh=p.name_zh, name_en=p.name_en, aliases=p.aliases, facility_kinds=p.facility_kinds,
                retired_on=p.retired_on.isoformat() if p.retired_on else None)


def save_point_type(engine: Engine, actor: Actor | None, *, code: str, name_zh: str, name_en: str,
                    aliases: list[str] | str | None = None, facility_kinds: list[str] | None = None,
                    type_id: int | None = None) -> int:
    """Create a service-point type (type_id None) or change one's names, aliases and facility kinds.
    A name or alias may mean one type only: an import must never guess between two."""
    require(actor, "reference.edit")
    zh = clean_text(name_zh, "admin.field.name_zh")
    en = clean_text(name_en, "admin.field.name_en", max_len=128)
    alias_list = _clean_aliases(aliases)
    with session_scope(engine) as s:
        if type_id is None:
            code_c = (code or "").strip().lower()
            if not CODE_RE.match(code_c):
                raise InvalidInput("admin.err.code", code=code or "")
            if s.scalar(select(m.PointType.id).where(m.PointType.code == code_c)):
                raise InvalidInput("admin.err.code_taken", code=code_c)
            row = None
        else:
            row = row_or_refuse(s, m.PointType, type_id)
            code_c = row.code
        kinds = [k for k in (facility_kinds or []) if k]
        known = set(s.scalars(select(m.FacilityKind.code)))
        if any(k not in known for k in kinds):
            raise InvalidInput("catalogue.err.rule_unknown_kind", codes="、".join(k for k in kinds if k not in known))
        from data_access.ingest.spec import norm_label

        mine = {norm_label(x) for x in (zh, en, code_c, *alias_list)}
        for other in s.scalars(select(m.PointType).where(m.PointType.code != code_c)):
            theirs = {norm_label(x) for x in (other.name_zh, other.name_en, other.code, *(other.aliases or []))}
            clash = mine & theirs
            if clash:
                raise InvalidInput("catalogue.err.alias_taken", alias=sorted(clash)[0], name=other.name_zh)
        if row is None:
            order = (s.scalar(select(func.max(m.PointType.sort_order))) or 0) + 1
            row = m.PointType(code=code_c, name_zh=zh, name_en=en, aliases=alias_list or None,
                              facility_kinds=kinds or None, sort_order=order)
            s.add(row)
            s.flush()
            record(s, actor, "point_type.create", "point_type", code_c, after=_type_snapshot(row))
        else:
            before = _type_snapshot(row)
            row.name_zh, row.name_en, row.aliases, row.facility_kinds = zh, en, alias_list or None, kinds or None
            if _type_snapshot(row) == before:
                return row.id
            record(s, actor, "point_type.update", "point_type", code_c, before=before, after=_type_snapshot(row))
        bump_data_version(s)
        return row.id


def retire_point_type(engine: Engine, actor: Actor | None, type_id: int, retired: bool = True) -> None:
    """A retired type is no longer offered for new points; its points keep it (and their history)."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        row = row_or_refuse(s, m.PointType, type_id)
        if (row.retired_on is not None) == retired:
            return
        before = _type_snapshot(row)
        row.retired_on = dt.date.today() if retired else None
        record(s, actor, "point_type.retire" if retired else "point_type.restore", "point_type", row.code,
               before=before, after=_type_snapshot(row))
        bump_data_version(s)


def save_facility_kind(engine: Engine, actor: Actor | None, *, code: str, name_zh: str, name_en: str,
                       category: str, aliases: list[str] | str | None = None, kind_id: int | None = None) -> int:
    """Create a facility kind (幼儿园, 乡镇卫生院) or change one. Category "school" puts its facilities
    on the education bureau's sheet."""
    require(actor, "reference.edit")
    zh = clean_text(name_zh, "admin.field.name_zh")
    en = clean_text(name_en, "admin.field.name_en", max_len=128)
    if category not in FACILITY_CATEGORIES:
        raise InvalidInput("catalogue.err.category")
    alias_list = _clean_aliases(aliases)
    with session_scope(engine) as s:
        if kind_id is None:
            code_c = (code or "").strip().lower()
            if not CODE_RE.match(code_c):
                raise InvalidInput("admin.err.code", code=code or "")
            if s.scalar(select(m.FacilityKind.id).where(m.FacilityKind.code == code_c)):
                raise InvalidInput("admin.err.code_taken", code=code_c)
            order = (s.scalar(select(func.max(m.FacilityKind.sort_order))) or 0) + 1
            row = m.FacilityKind(code=code_c, name_zh=zh, name_en=en, category=category,
                                 aliases=alias_list or None, sort_order=order)
            s.add(row)
            s.flush()
            record(s, actor, "facility_kind.create", "facility_kind", code_c,
                   after=dict(code=code_c, name_zh=zh, name_en=en, category=category, aliases=alias_list))
        else:
            row = row_or_refuse(s, m.FacilityKind, kind_id)
            before = dict(name_zh=row.name_zh, name_en=row.name_en, category=row.category, aliases=row.aliases)
            row.name_zh, row.name_en, row.category, row.aliases = zh, en, category, alias_list or None
            after = dict(name_zh=row.name_zh, name_en=row.name_en, category=row.category, aliases=row.aliases)
            if after == before:
                return row.id
            record(s, actor, "facility_kind.update", "facility_kind", row.code, before=before, after=after)
        bump_data_version(s)
        return row.id
