"""Service-point types and facility kinds as a deployment holds them (tables point_types and
facility_kinds): their names, import aliases, and which facilities a type belongs to. Read by the
registry, the imports, the school sheet, the map and the admin page; written by data_access.catalogue.edit.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.catalogue import standard


def point_types(session: Session, include_retired: bool = False) -> list[m.PointType]:
    query = select(m.PointType).order_by(m.PointType.sort_order, m.PointType.id)
    if not include_retired:
        query = query.where(m.PointType.retired_on.is_(None))
    return list(session.scalars(query))


def type_codes(session: Session) -> list[str]:
    """Codes of the types a new point may have (not retired), in the admin's order."""
    return [p.code for p in point_types(session)]


def type_labels(session: Session, lang: str) -> dict[str, str]:
    """code -> name for every type, retired ones included (old points keep their label)."""
    rows = session.execute(select(m.PointType.code, m.PointType.name_zh, m.PointType.name_en)
                           .order_by(m.PointType.sort_order, m.PointType.id))
    return {code: (en if lang == "en" and en else zh) for code, zh, en in rows}


def type_names(session: Session) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """code -> (中文, English, aliases) of the types a sheet may name (not retired)."""
    return {p.code: (p.name_zh, p.name_en, tuple(p.aliases or ())) for p in point_types(session)}


def facility_kinds_for_types(session: Session) -> dict[str, tuple[str, ...]]:
    """type code -> the facility kinds a point of that type must belong to (types without any left out)."""
    return {code: tuple(kinds) for code, kinds in session.execute(select(m.PointType.code, m.PointType.facility_kinds))
            if kinds}


def facility_kinds(session: Session) -> list[m.FacilityKind]:
    return list(session.scalars(select(m.FacilityKind).order_by(m.FacilityKind.sort_order, m.FacilityKind.id)))


def kinds_in(session: Session, category: str) -> tuple[str, ...]:
    """Facility kind codes of a category ("school": the rows of the education bureau's sheet)."""
    return tuple(session.scalars(select(m.FacilityKind.code).where(m.FacilityKind.category == category)
                                 .order_by(m.FacilityKind.sort_order, m.FacilityKind.id)))


def school_kinds(session: Session) -> tuple[str, ...]:
    return kinds_in(session, "school")


def facility_kind_labels(session: Session, lang: str) -> dict[str, str]:
    rows = session.execute(select(m.FacilityKind.code, m.FacilityKind.name_zh, m.FacilityKind.name_en))
    return {code: (en if lang == "en" and en else zh) for code, zh, en in rows}


def ensure_standard(session: Session) -> list[str]:
    """Add the standard types and kinds a database lacks (by code); never changes an existing one.
    Returns the codes added."""
    have_types = set(session.scalars(select(m.PointType.code)))
    have_kinds = set(session.scalars(select(m.FacilityKind.code)))
    added = []
    for order, (code, zh, en, aliases, kinds) in enumerate(standard.POINT_TYPES, start=1):
        if code not in have_types:
            session.add(m.PointType(code=code, name_zh=zh, name_en=en, aliases=list(aliases) or None,
                                    facility_kinds=list(kinds) or None, sort_order=order))
            added.append(code)
    for order, (code, zh, en, category, aliases) in enumerate(standard.FACILITY_KINDS, start=1):
        if code not in have_kinds:
            session.add(m.FacilityKind(code=code, name_zh=zh, name_en=en, category=category,
                                       aliases=list(aliases) or None, sort_order=order))
            added.append(code)
    if added:
        session.flush()
    return added
