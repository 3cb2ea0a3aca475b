"""The service-point registry (服务阵地台账): list, search, add, edit, retire; the gaps it reveals.

Writes follow the project rule: an Actor, access.require("registry.edit") before anything, the audit
row with before/after in the same transaction, and bump_data_version (coverage indicators are
counted from this registry, so every change moves figures). A point is never deleted: retiring sets
retired_on, so coverage "as of" an earlier quarter still counts it.

Validation collects every problem at once as (catalogue key, values); RegistryError.messages(lang)
gives the Chinese/English text. Nothing is written when there is any problem.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import access, approval, audit, db
from data_access import indicators as ix
from data_access import models as m
from data_access import coords
from data_access.catalogue import point_types
from data_access.geo import covers_point, shape_of
from i18n import name_of, t

STATUSES = ("active", "building", "retired")
EDITABLE = ("type", "name_zh", "name_en", "township", "village", "facility_code", "lon", "lat", "opened_on",
            "status", "staff_full", "staff_part", "phone", "note", "coords")
LIST_COLUMNS = ["id", "code", "type", "type_label", "name", "name_zh", "name_en", "township_code", "township",
                "village_code", "village", "facility", "lon", "lat", "opened_on", "retired_on", "status",
                "status_label", "staff_full", "staff_part", "phone", "note"]


class RegistryError(Exception):
    """Every problem with a registry entry, as catalogue keys with values."""

    def __init__(self, problems: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__("; ".join(k for k, _ in problems))
        self.problems = problems

    def messages(self, lang: str = "zh") -> list[str]:
        out = []
        for key, values in self.problems:
            # A value named *_key is a catalogue key itself (add_points: "entry 7: <its problem>").
            plain = {k: v for k, v in values.items() if not k.endswith("_key")}
            quoted = {k: t(v, lang, **plain) for k, v in values.items() if k.endswith("_key") and isinstance(v, str)}
            out.append(t(key, lang, **plain, **quoted))
        return out


# --- reading ------------------------------------------------------------------------------------

def _area(session: Session, area_code: str | None) -> m.Region | None:
    return ix.region_by_code(session, area_code) if area_code else ix.root_region(session)


def township_choices(session: Session, area_code: str | None = None) -> list[dict[str, Any]]:
    """Townships of the area (the county), in code order, as plain dicts."""
    area = _area(session, area_code)
    if area is None:
        return []
    return [dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en, population=r.population)
            for r in ix.regions_at(session, area.code, "township")]


def village_choices(session: Session, township_code: str) -> list[dict[str, Any]]:
    return [dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en)
            for r in ix.regions_at(session, township_code, "village")]


def facility_choices(session: Session, township_code: str, kinds: Iterable[str]) -> list[dict[str, Any]]:
    township = ix.region_by_code(session, township_code)
    if township is None:
        return []
    rows = session.scalars(
        select(m.Facility).join(m.Region, m.Region.id == m.Facility.region_id)
        .where(m.Region.path.startswith(township.path), m.Facility.kind.in_(list(kinds)),
               m.Facility.closed_on.is_(None)).order_by(m.Facility.code))
    return [dict(code=f.code, name_zh=f.name_zh, name_en=f.name_en, kind=f.kind) for f in rows]


def _points_statement(session: Session, lang: str, area: m.Region, query: str | None,
                      types: Iterable[str] | None, township_code: str | None, statuses: Iterable[str] | None):  # noqa: ANN202
    """The filtered registry as one SELECT (point, its region and that region's parent, facility);
    None when the township asked for is unknown. Filtering happens in the database, so a page of a
    province's 41,000 points reads only the rows it shows."""
    region, parent = aliased(m.Region), aliased(m.Region)
    where = [region.path.startswith(area.path)]
    if township_code:
        township = ix.region_by_code(session, township_code)
        if township is None or township.level != "township":
            return None
        where.append(region.path.startswith(township.path))
    if types:
        where.append(m.ServicePoint.type.in_(list(types)))
    if statuses:
        where.append(m.ServicePoint.status.in_(list(statuses)))
    if query and query.strip():
        # Case-insensitive "contains" over what the list shows: code, both names, and the township,
        # village and facility names in the reader's language (a township-level point has no village;
        # its region is the township itself).
        needle = query.strip().lower()
        col = "name_en" if lang == "en" else "name_zh"

        def has(expr):  # noqa: ANN001, ANN202
            return func.lower(func.coalesce(expr, "")).contains(needle, autoescape=True)

        village_level = region.level == "village"
        where.append(or_(
            has(m.ServicePoint.code), has(m.ServicePoint.name_zh), has(m.ServicePoint.name_en),
            has(getattr(region, col)), and_(village_level, has(getattr(parent, col))),
            has(getattr(m.Facility, col))))
    columns = (m.ServicePoint, region.code, region.name_zh, region.name_en, region.level, parent.code,
               parent.name_zh, parent.name_en, m.Facility.name_zh, m.Facility.name_en)
    return (select(*columns).join(region, region.id == m.ServicePoint.region_id)
            .outerjoin(parent, parent.id == region.parent_id)
            .outerjoin(m.Facility, m.Facility.id == m.ServicePoint.facility_id)
            .where(*where))


def points_page(session: Session, lang: str = "zh", area_code: str | None = None, query: str | None = None,
                types: Iterable[str] | None = None, township_code: str | None = None,
                statuses: Iterable[str] | None = None, offset: int = 0,
                limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """One page of the area's service points in code order, filtered, and how many match in all:
    (frame with LIST_COLUMNS, total). limit None: every match."""
    area = _area(session, area_code)
    stmt = _points_statement(session, lang, area, query, types, township_code, statuses) if area else None
    if stmt is None:
        return pd.DataFrame(columns=LIST_COLUMNS), 0
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    stmt = stmt.order_by(m.ServicePoint.code).offset(max(0, offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = []
    labels = point_types.type_labels(session, lang)
    for sp, r_code, r_zh, r_en, level, p_code, p_zh, p_en, f_zh, f_en in session.execute(stmt):
        if level == "village":
            t_code, t_name, v_code, v_name = p_code, (p_en if lang == "en" else p_zh), r_code, (r_en if lang == "en" else r_zh)
        else:
            t_code, t_name, v_code, v_name = r_code, (r_en if lang == "en" else r_zh), None, ""
        rows.append(dict(
            id=sp.id, code=sp.code, type=sp.type, type_label=labels.get(sp.type, sp.type), name=name_of(sp, lang),
            name_zh=sp.name_zh, name_en=sp.name_en, township_code=t_code, township=t_name, village_code=v_code,
            village=v_name, facility=(f_en if lang == "en" else f_zh) or "", lon=sp.lon, lat=sp.lat,
            opened_on=sp.opened_on, retired_on=sp.retired_on, status=sp.status,
            status_label=t(f"registry.status.{sp.status}", lang), staff_full=sp.staff_full or 0,
            staff_part=sp.staff_part or 0, phone=sp.phone or "", note=sp.note or ""))
    return pd.DataFrame(rows, columns=LIST_COLUMNS), int(total or 0)


def points_frame(session: Session, lang: str = "zh", area_code: str | None = None, query: str | None = None,
                 types: Iterable[str] | None = None, township_code: str | None = None,
                 statuses: Iterable[str] | None = None) -> pd.DataFrame:
    """All service points of the area with their township and village, filtered; columns LIST_COLUMNS."""
    return points_page(session, lang, area_code, query, types, township_code, statuses)[0]


SNAPSHOT_FIELDS = ("code", "type", "name_zh", "name_en", "region_id", "facility_id", "lon", "lat", "opened_on",
                   "retired_on", "status", "staff_full", "staff_part", "phone", "note")


def snapshot(sp: m.ServicePoint) -> dict[str, Any]:
    """A point as JSON-able values: what the audit trail keeps before and after a change."""
    out: dict[str, Any] = {}
    for col in SNAPSHOT_FIELDS:
        value = getattr(sp, col)
        out[col] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def point_detail(session: Session, point_id: int, lang: str = "zh") -> dict[str, Any] | None:
    """One point with its place, facility and change history (from the audit trail)."""
    sp = session.get(m.ServicePoint, point_id)
    if sp is None:
        return None
    region = sp.region
    township = region.parent if region.level == "village" else region
    history = session.scalars(select(m.AuditEntry).where(m.AuditEntry.entity == "service_point",
                                                         m.AuditEntry.entity_id == sp.code)
                              .order_by(m.AuditEntry.at)).all()
    return dict(
        **snapshot(sp), id=sp.id, name=name_of(sp, lang),
        type_label=point_types.type_labels(session, lang).get(sp.type, sp.type),
        township_code=township.code if township else None, township=name_of(township, lang) if township else "",
        village_code=region.code if region.level == "village" else None,
        village=name_of(region, lang) if region.level == "village" else "",
        facility_code=sp.facility.code if sp.facility else None,
        facility=name_of(sp.facility, lang) if sp.facility else "",
        status_label=t(f"registry.status.{sp.status}", lang),
        history=[dict(at=h.at, username=h.username, action=h.action, before=h.before, after=h.after,
                      detail=h.detail) for h in history])


# --- validation ---------------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


class Places:
    """The townships, villages, facilities and outlines an entry is checked against, read once: an
    import of a thousand rows (or the sample's forty thousand points) checks each row against
    memory instead of querying for it. Built per check when none is given."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.root = ix.root_region(session)
        self._towns: dict[str, m.Region] | None = None
        self._villages: dict[int, dict[str, Any]] = {}
        self._all_facilities: dict[str, m.Facility] | None = None
        self._shapes: dict[int, Any] = {}
        self._types: tuple[list[str], dict[str, tuple[str, ...]], dict[str, str]] | None = None

    def _point_types(self) -> tuple[list[str], dict[str, tuple[str, ...]], dict[str, str]]:
        if self._types is None:
            self._types = (point_types.type_codes(self.session), point_types.facility_kinds_for_types(self.session),
                           point_types.type_labels(self.session, "zh"))
        return self._types

    @property
    def type_codes(self) -> list[str]:
        """Types a point may be given (the point_types table, retired types left out)."""
        return self._point_types()[0]

    @property
    def facility_kinds_for(self) -> dict[str, tuple[str, ...]]:
        """type -> the facility kinds a point of it must belong to."""
        return self._point_types()[1]

    @property
    def type_labels_zh(self) -> dict[str, str]:
        return self._point_types()[2]

    @staticmethod
    def _lookup(regions: Iterable[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r in regions:  # code order: the first place with a spelling keeps it (as _find_region did)
            for text in (r.code, r.name_zh, r.name_en, *(r.aliases or [])):
                if text:
                    out.setdefault(str(text), r)
        return out

    def township(self, text: Any) -> m.Region | None:
        if self.root is None:
            return None
        if self._towns is None:
            self._towns = self._lookup(self.session.scalars(
                select(m.Region).where(m.Region.path.startswith(self.root.path), m.Region.level == "township",
                                       m.Region.retired_on.is_(None)).order_by(m.Region.code)))
        return self._towns.get(str(text).strip())

    def village(self, township: m.Region, text: Any) -> Any:
        """The village (its id, code and names; not a whole row) of the township by code, name or alias."""
        if not self._villages and self.root is not None:
            # Every village of the deployment in one read of the few columns a check needs (a
            # province sample has 30,000; a village's outline is never looked at here).
            rows = self.session.execute(
                select(m.Region.id, m.Region.code, m.Region.name_zh, m.Region.name_en, m.Region.aliases,
                       m.Region.parent_id)
                .where(m.Region.path.startswith(self.root.path), m.Region.level == "village",
                       m.Region.retired_on.is_(None)).order_by(m.Region.code))
            by_town: dict[int, list[Any]] = {}
            for row in rows:
                by_town.setdefault(row.parent_id, []).append(row)
            self._villages = {tid: self._lookup(vs) for tid, vs in by_town.items()}
            self._villages.setdefault(-1, {})  # loaded, even when there is no village at all
        return self._villages.get(township.id, {}).get(str(text).strip())

    def facility(self, code: Any) -> m.Facility | None:
        if self._all_facilities is None:  # all at once: a county has hundreds, a province thousands
            self._all_facilities = {f.code: f for f in self.session.scalars(select(m.Facility))}
        return self._all_facilities.get(str(code).strip())

    def covers(self, region: m.Region, lon: float, lat: float) -> bool | None:
        """Whether the region's outline holds the point; None when it has no outline."""
        if region.id not in self._shapes:
            self._shapes[region.id] = shape_of(region.boundary)
        shape = self._shapes[region.id]
        return None if shape is None else covers_point(shape, lon, lat)


def _as_date(value: Any, field: str, problems: list) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(("registry.error.bad_date", dict(field=field, value=value)))
        return None


def _as_float(value: Any, field: str, problems: list) -> float | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip().replace("，", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        problems.append(("registry.error.bad_number", dict(field=field, value=value)))
        return None
    if math.isnan(number):
        return None
    return number


def _as_count(value: Any, field: str, problems: list) -> int:
    if _blank(value):
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(("registry.error.bad_count", dict(field=field, value=value)))
        return 0
    if number < 0 or not number.is_integer():
        problems.append(("registry.error.bad_count", dict(field=field, value=value)))
        return 0
    return int(number)


def check_entry(session: Session, data: dict[str, Any], today: dt.date, places: Places | None = None
                ) -> dict[str, Any]:
    """Check a whole entry; returns the column values to store, or raises RegistryError with all problems.

    data["coords"] names the map the coordinates were read from (coords.GCJ02 for 高德/腾讯, BD09 for
    百度; default WGS84): they are converted to WGS84 before anything else looks at them."""
    problems: list[tuple[str, dict[str, Any]]] = []
    places = places or Places(session)
    root = places.root
    sp_type = data.get("type")
    if _blank(sp_type):
        problems.append(("registry.error.type_missing", {}))
    elif sp_type not in places.type_codes:
        problems.append(("registry.error.type", dict(value=sp_type)))
    name_zh = (data.get("name_zh") or "").strip()
    name_en = (data.get("name_en") or "").strip()
    if not name_zh:
        problems.append(("registry.error.name", {}))
    township = village = None
    if _blank(data.get("township")):
        problems.append(("registry.error.township_missing", {}))
    elif root is not None:
        township = places.township(data["township"])
        if township is None:
            problems.append(("registry.error.township_unknown", dict(value=data["township"])))
    if township is not None and not _blank(data.get("village")):
        village = places.village(township, data["village"])
        if village is None:
            problems.append(("registry.error.village_unknown", dict(value=data["village"],
                                                                    township=township.name_zh)))
    facility = None
    if not _blank(data.get("facility_code")):
        facility = places.facility(data["facility_code"])
        if facility is None:
            problems.append(("registry.error.facility_unknown", dict(value=data["facility_code"])))
        else:
            kinds = places.facility_kinds_for.get(sp_type or "")
            if kinds and facility.kind not in kinds:
                problems.append(("registry.error.facility_kind", dict(facility=facility.name_zh)))
            if township is not None and not facility.region.path.startswith(township.path):
                problems.append(("registry.error.facility_place", dict(facility=facility.name_zh,
                                                                       township=township.name_zh)))
    elif sp_type in places.facility_kinds_for:
        problems.append(("registry.error.facility_missing", dict(type=places.type_labels_zh.get(sp_type, sp_type))))
    lon = _as_float(data.get("lon"), "经度", problems)
    lat = _as_float(data.get("lat"), "纬度", problems)
    if (lon is None) != (lat is None):
        problems.append(("registry.error.coordinates_pair", {}))
    elif lon is not None and lat is not None:
        county = township.parent if township is not None else root
        system = data.get("coords") or coords.WGS84
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(("registry.error.coordinates_range", dict(lon=lon, lat=lat)))
        elif system not in coords.SYSTEMS:
            problems.append(("registry.error.coords_system", dict(value=system)))
        else:
            lon, lat = coords.to_wgs84(lon, lat, system)
            if county is not None and places.covers(county, lon, lat) is False:
                problems.append(("registry.error.outside_county", dict(lon=round(lon, 6), lat=round(lat, 6),
                                                                       county=county.name_zh)))
            elif township is not None and places.covers(township, lon, lat) is False:
                problems.append(("registry.error.outside_township", dict(lon=round(lon, 6), lat=round(lat, 6),
                                                                         township=township.name_zh)))
    status = data.get("status") or "active"
    if status not in ("active", "building"):
        problems.append(("registry.error.status", dict(value=status)))
    opened = _as_date(data.get("opened_on"), "启用日期", problems)
    if opened is not None and opened > today:
        problems.append(("registry.error.opened_future", dict(date=opened.isoformat())))
    if opened is None and status == "active":
        problems.append(("registry.error.opened_missing", {}))
    staff_full = _as_count(data.get("staff_full"), "专职人员", problems)
    staff_part = _as_count(data.get("staff_part"), "兼职人员", problems)
    if problems:
        raise RegistryError(problems)
    assert township is not None
    return dict(type=sp_type, name_zh=name_zh, name_en=name_en or name_zh, region_id=(village or township).id,
                facility_id=facility.id if facility else None, lon=None if lon is None else round(lon, 6),
                lat=None if lat is None else round(lat, 6), opened_on=opened, status=status,
                staff_full=staff_full, staff_part=staff_part, phone=(data.get("phone") or "").strip() or None,
                note=(data.get("note") or "").strip() or None)


# What decides whether, and as what, a point counts in a quarter's coverage figures (data_access.rule_values).
_COUNTS_AS = ("type", "region_id", "facility_id")


def _counted_at(state: dict[str, Any] | None, end: dt.date) -> tuple | None:
    """What a point counts as at a quarter's end (None: it is not in service then)."""
    if state is None or state.get("opened_on") is None or state["opened_on"] > end:
        return None
    if state.get("retired_on") is not None and state["retired_on"] <= end:
        return None
    return tuple(state.get(k) for k in _COUNTS_AS)


def counting_state(sp: m.ServicePoint) -> dict[str, Any]:
    """The fields of a stored point that decide what it counts as, and when."""
    return {k: getattr(sp, k) for k in (*_COUNTS_AS, "opened_on", "retired_on")}


def approved_quarters_moved(session: Session, before: dict[str, Any] | None, after: dict[str, Any] | None,
                            locked: list[tuple[str, dt.date]] | None = None) -> list[tuple[str, dt.date]]:
    """The approved quarters whose coverage figures a write would change: the point counts at the
    quarter's end before or after the write, not as the same thing. The leading group decided on
    those figures; a back-dated opening, retirement or re-typing must not move them silently."""
    # `locked`: approval.locked_quarters read once by a caller checking many rows.
    return [(code, end) for code, end in (approval.locked_quarters(session) if locked is None else locked)
            if _counted_at(before, end) != _counted_at(after, end)]


def _refuse_if_approved_moved(session: Session, before: dict[str, Any] | None, after: dict[str, Any] | None,
                              locked: list[tuple[str, dt.date]] | None = None) -> None:
    moved = approved_quarters_moved(session, before, after, locked)
    if moved:
        raise RegistryError([approved_problem(moved)])


def approved_problem(moved: list[tuple[str, dt.date]]) -> tuple[str, dict[str, Any]]:
    """The refusal for a write into approved quarters: which ones, and the two ways out."""
    return ("registry.error.approved", dict(periods="、".join(code for code, _ in moved),
                                           after=max(end for _, end in moved).isoformat()))


def _new_code(session: Session) -> str:
    root = ix.root_region(session)
    prefix = f"SP{root.code if root else ''}"
    number = (session.scalar(select(func.max(m.ServicePoint.id))) or 0) + 1
    while session.scalar(select(m.ServicePoint.id).where(m.ServicePoint.code == f"{prefix}{number:06d}")):
        number += 1
    return f"{prefix}{number:06d}"


# --- writing ------------------------------------------------------------------------------------

def add_point(session: Session, actor: access.Actor | None, data: dict[str, Any],
              today: dt.date | None = None) -> m.ServicePoint:
    """Register a new service point. Raises PermissionDenied or RegistryError before any change."""
    access.require(actor, "registry.edit")
    values = check_entry(session, data, today or dt.date.today())
    _refuse_if_approved_moved(session, None, {**values, "retired_on": None})
    code = (data.get("code") or "").strip() or _new_code(session)
    if session.scalar(select(m.ServicePoint.id).where(m.ServicePoint.code == code)):
        raise RegistryError([("registry.error.code_taken", dict(code=code))])
    sp = m.ServicePoint(code=code, retired_on=None, **values)
    session.add(sp)
    session.flush()
    audit.record(session, actor, "registry.add", "service_point", sp.code, before=None, after=snapshot(sp))
    db.bump_data_version(session)
    return sp


def entry_of(sp: m.ServicePoint) -> dict[str, Any]:
    """A stored point as the entry fields check_entry takes (township/village/facility by code)."""
    region = sp.region
    return dict(type=sp.type, name_zh=sp.name_zh, name_en=sp.name_en,
                township=(region.parent.code if region.level == "village" and region.parent else region.code),
                village=region.code if region.level == "village" else None,
                facility_code=sp.facility.code if sp.facility else None, lon=sp.lon, lat=sp.lat,
                opened_on=sp.opened_on, status=sp.status, staff_full=sp.staff_full, staff_part=sp.staff_part,
                phone=sp.phone, note=sp.note)


def unconverted_if_unmoved(changes: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A form or sheet row that repeats a point's stored (already WGS84) coordinates, sent with
    "these are GCJ-02": the numbers were not read from a map, so they are not shifted again."""
    if changes.get("coords") in (None, coords.WGS84):
        return changes
    quiet: list = []
    lon, lat = _as_float(changes.get("lon", stored.get("lon")), "", quiet), _as_float(changes.get("lat", stored.get("lat")), "", quiet)
    if lon is not None and lat is not None and stored.get("lon") is not None and stored.get("lat") is not None \
            and abs(lon - stored["lon"]) < 1e-7 and abs(lat - stored["lat"]) < 1e-7:
        return {k: v for k, v in changes.items() if k != "coords"}
    return changes


def add_points(session: Session, actor: access.Actor | None, entries: list[dict[str, Any]],
               today: dt.date | None = None) -> list[str]:
    """Register many points in one go (the sample county; a county's first registry): every entry
    checked as add_point checks it, against places read once; all or nothing; an audit row per
    point as add_point writes. Returns the codes. RegistryError lists the problems as
    ("registry.error.row", {row, message_key, ...}) in entry order."""
    access.require(actor, "registry.edit")
    today = today or dt.date.today()
    places = Places(session)
    locked = approval.locked_quarters(session)
    root = places.root
    prefix = f"SP{root.code if root else ''}"
    taken = set(session.scalars(select(m.ServicePoint.code)))
    number = (session.scalar(select(func.max(m.ServicePoint.id))) or 0) + 1
    problems: list[tuple[str, dict[str, Any]]] = []
    rows: list[dict[str, Any]] = []
    for i, data in enumerate(entries):
        try:
            values = check_entry(session, data, today, places)
            _refuse_if_approved_moved(session, None, {**values, "retired_on": None}, locked)
        except RegistryError as exc:
            problems += [("registry.error.row", dict(row=i + 1, problem_key=key, **params)) for key, params in exc.problems]
            continue
        code = (data.get("code") or "").strip()
        if not code:
            while f"{prefix}{number:06d}" in taken:
                number += 1
            code = f"{prefix}{number:06d}"
        if code in taken:
            problems.append(("registry.error.row", dict(row=i + 1, problem_key="registry.error.code_taken", code=code)))
            continue
        taken.add(code)
        rows.append(dict(code=code, retired_on=None, **values))
    if problems:
        raise RegistryError(problems)
    at = dt.datetime.now()
    conn = session.connection()  # Core executemany: the province sample registers 40,000 points
    for i in range(0, len(rows), 5000):
        conn.execute(insert(m.ServicePoint.__table__), rows[i:i + 5000])
    trail = [dict(at=at, user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                  action="registry.add", entity="service_point", entity_id=r["code"], before=None,
                  after={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()
                         if k in SNAPSHOT_FIELDS}, detail=None) for r in rows]
    for i in range(0, len(trail), 5000):
        conn.execute(insert(m.AuditEntry.__table__), trail[i:i + 5000])
    if rows:
        db.bump_data_version(session)
    return [r["code"] for r in rows]


def edit_point(session: Session, actor: access.Actor | None, point_id: int, changes: dict[str, Any],
               today: dt.date | None = None) -> m.ServicePoint:
    """Change a point's fields (any of EDITABLE); the whole entry is checked again."""
    access.require(actor, "registry.edit")
    sp = session.get(m.ServicePoint, point_id)
    if sp is None:
        raise RegistryError([("registry.error.not_found", dict(id=point_id))])
    if sp.retired_on is not None:
        raise RegistryError([("registry.error.retired", dict(name=sp.name_zh, date=sp.retired_on.isoformat()))])
    current = entry_of(sp)
    changes = unconverted_if_unmoved(changes, current)
    unknown = [k for k in changes if k not in EDITABLE]
    if unknown:
        raise RegistryError([("registry.error.field", dict(field=", ".join(unknown)))])
    if "township" in changes and "village" not in changes:
        current["village"] = None  # a new township invalidates the old village
    values = check_entry(session, {**current, **changes}, today or dt.date.today())
    _refuse_if_approved_moved(session, counting_state(sp), {**counting_state(sp), **values})
    before = snapshot(sp)
    for key, value in values.items():
        setattr(sp, key, value)
    session.flush()
    after = snapshot(sp)
    if after == before:
        return sp  # nothing changed: no audit row, no version bump
    audit.record(session, actor, "registry.edit", "service_point", sp.code, before=before, after=after)
    db.bump_data_version(session)
    return sp


def retire_point(session: Session, actor: access.Actor | None, point_id: int, retired_on: dt.date | str | None,
                 reason: str | None = None, today: dt.date | None = None) -> m.ServicePoint:
    """Soft delete: the point stays, with the date it stopped (coverage before that date still counts it)."""
    access.require(actor, "registry.edit")
    today = today or dt.date.today()
    sp = session.get(m.ServicePoint, point_id)
    if sp is None:
        raise RegistryError([("registry.error.not_found", dict(id=point_id))])
    problems: list[tuple[str, dict[str, Any]]] = []
    if sp.retired_on is not None:
        problems.append(("registry.error.retired", dict(name=sp.name_zh, date=sp.retired_on.isoformat())))
    day = _as_date(retired_on, "撤销日期", problems)
    if day is None and not problems:
        problems.append(("registry.error.retired_missing", {}))
    if day is not None and day > today:
        problems.append(("registry.error.retired_future", dict(date=day.isoformat())))
    if day is not None and sp.opened_on is not None and day < sp.opened_on:
        problems.append(("registry.error.retired_before_open", dict(date=day.isoformat(),
                                                                    opened=sp.opened_on.isoformat())))
    if not problems:
        moved = approved_quarters_moved(session, counting_state(sp), {**counting_state(sp), "retired_on": day})
        if moved:
            problems.append(approved_problem(moved))
    if problems:
        raise RegistryError(problems)
    before = snapshot(sp)
    sp.retired_on = day
    sp.status = "retired"
    session.flush()
    audit.record(session, actor, "registry.retire", "service_point", sp.code, before=before, after=snapshot(sp),
                 detail=(reason or "").strip() or None)
    db.bump_data_version(session)
    return sp


# The coverage summary and the gap lists follow the catalogue's share rules: data_access.coverage.


# --- Excel export -------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: Any) -> Any:
    """Text that Excel/WPS would run as a formula gets a leading apostrophe (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def sheet_title(title: str, taken: list[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\ or quotes, at most 31 characters, not already used
    (two indicators whose names share their first 31 characters still get a sheet each)."""
    text = "".join("_" if ch in "[]:*?/\\'" else ch for ch in str(title)).strip() or "Sheet"
    name, n = text[:31], 1
    while name.lower() in (x.lower() for x in taken):
        n += 1
        name = f"{text[:31 - len(str(n)) - 1]}~{n}"
    return name


def gaps_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per frame (sheet name -> frame with display headers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title=sheet_title(title, wb.sheetnames))
        ws.append([excel_safe(str(c)) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([excel_safe(None if (isinstance(v, float) and math.isnan(v)) else v) for v in row])
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:, i - 1].tolist()[:200]])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(40, 4 + width * 1.6)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
