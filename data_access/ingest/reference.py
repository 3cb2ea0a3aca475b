"""Bulk import of reference data -- the service-point registry and the villages/communities -- from
an Excel sheet, through the same reader and problem list as the departments' quarterly sheets.

The same tolerance (any sheet, title rows, header aliases, full-width digits, 鎮/镇 and place names
without their suffix, blank and total rows) and the same safety (size, zip-bomb and XML guards), every
problem at once with sheet, cell and fix, the same annotated workbook back; and the same rule: the file
is written in one transaction only when it has no error. Each row goes through the write function the
registry/administration form uses (registry.add_point / edit_point), or the region writes below, so
validation and audit rows are the ones a single edit gets.

A row with the code of an existing entry updates it, and a blank cell leaves that field as it is; a
row without a code (service points) or with a new code (villages/communities) adds one. Nothing is
retired or deleted from a sheet: retiring a point is a dated decision made on the registry page, and
merging villages is out of scope (it changes history). A new village has no boundary polygon until
the map data is updated: it counts in every figure, and the map leaves it unshaded.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from data_access.catalogue import point_types
from data_access import access, approval, audit, coords, db, registry
from data_access import indicators as ix
from data_access import models as m
from data_access.access import Actor
from data_access.geo import point_in_geometry
from data_access.ingest.checks import Notes
from data_access.ingest.places import FOOTER_PREFIXES as FOOTER_WORDS, TOTAL_WORDS, EntityIndex
from data_access.ingest.problems import (ERROR, NOTICE, WARNING, Problem, as_shown, err, errors_summary, note, show_value,
                                        warn)
from data_access.ingest.reader import DEFAULT_LIMITS, Limits, ReadResult, locate_columns, open_workbook, \
    parse_number, read_meta
from data_access.ingest.sandbox import read_untrusted
from data_access.ingest.spec import CODE, INFO, NAME, Column, norm, norm_label, region_entity
from data_access.ingest.templates import BOX, HEADER_FILL, LIST_SHEET, META_SHEET, put
from i18n import t

SERVICE_POINTS, REGIONS = "service_points", "regions"
KINDS = (SERVICE_POINTS, REGIONS)
PERMISSION = {SERVICE_POINTS: "registry.edit", REGIONS: "reference.edit"}
_AUDIT_PREFIX = {SERVICE_POINTS: "registry", REGIONS: "region"}
FORMAT_VERSION = "2026.1"
HEADER_ROW = 2            # 1-based: a title row, then the header
NEW, CHANGED, SAME = "new", "changed", "same"
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def _col(key: str, zh: str, en: str, *aliases: str, role: str = INFO) -> Column:
    return Column(key, zh, en, role, aliases=aliases)


COLUMNS: dict[str, list[Column]] = {
    SERVICE_POINTS: [
        _col("code", "阵地编码", "Point code", "编码", "代码", "服务点编码", "code", role=CODE),
        _col("name_zh", "阵地名称", "Point name", "名称", "服务阵地名称", "服务点名称", "name", role=NAME),
        _col("name_en", "英文名称", "English name", "name_en"),
        _col("type", "阵地类型", "Type", "类型", "类别", "type"),
        _col("township", "所属乡镇（街道）", "Township", "乡镇", "所属乡镇", "乡镇(街道)", "乡镇街道", "township"),
        _col("village", "所属村（社区）", "Village / community", "村(社区)", "村社区", "所属村", "所属社区", "village"),
        _col("facility_code", "所属学校或医院编码", "School or hospital code", "学校或医院编码", "学校编码", "医院编码",
             "单位编码"),
        _col("lon", "经度", "Longitude", "lon", "longitude"),
        _col("lat", "纬度", "Latitude", "lat", "latitude"),
        _col("opened_on", "启用日期", "Opened on", "启用时间", "建成日期", "建成时间", "opened"),
        _col("status", "状态", "Status", "运行状态", "status"),
        _col("staff_full", "专职人员（人）", "Full-time staff", "专职人员", "专职人员数", "专职"),
        _col("staff_part", "兼职人员（人）", "Part-time staff", "兼职人员", "兼职人员数", "兼职"),
        _col("phone", "联系电话", "Phone", "电话", "phone"),
        _col("note", "备注", "Note", "note"),
    ],
    REGIONS: [
        _col("code", "区划代码", "Area code", "代码", "编码", "行政区划代码", "统计用区划代码", "code", role=CODE),
        _col("name_zh", "名称", "Name", "村(社区)名称", "村社区名称", "乡镇名称", "中文名称", "name", role=NAME),
        _col("name_en", "英文名称（拼音）", "English name", "英文名称", "拼音", "name_en"),
        _col("parent", "上级乡镇（街道）", "Township", "所属乡镇", "上级乡镇", "乡镇", "乡镇(街道)", "township"),
        _col("kind", "类型（村/社区）", "Village or community", "类型", "村/社区", "kind"),
        _col("is_urban", "城乡属性", "Urban or rural", "城乡", "城乡分类", "urban/rural"),
        _col("population", "常住人口（人）", "Resident population", "常住人口", "人口", "人口数", "population"),
        _col("lon", "中心点经度", "Centre longitude", "经度", "lon"),
        _col("lat", "中心点纬度", "Centre latitude", "纬度", "lat"),
        _col("aliases", "别名", "Other spellings", "曾用名", "别称", "aliases"),
    ],
}
# Columns a sheet must have (beyond a code or a name, which the reader itself requires).
REQUIRED = {SERVICE_POINTS: ("name_zh",), REGIONS: ("code", "name_zh")}
# Which column a registry check is about, so each problem points at its cell.
_REGISTRY_COLUMN = {
    "registry.error.type": "type", "registry.error.type_missing": "type", "registry.error.name": "name_zh", "registry.error.township_missing": "township",
    "registry.error.township_unknown": "township", "registry.error.village_unknown": "village",
    "registry.error.facility_unknown": "facility_code", "registry.error.facility_kind": "facility_code",
    "registry.error.facility_place": "facility_code", "registry.error.facility_missing": "facility_code",
    "registry.error.coordinates_pair": "lon", "registry.error.coordinates_range": "lon",
    "registry.error.outside_county": "lon", "registry.error.outside_township": "lon",
    "registry.error.status": "status", "registry.error.opened_future": "opened_on",
    "registry.error.opened_missing": "opened_on", "registry.error.code_taken": "code",
    "registry.error.retired": "code",
}
_REGISTRY_FIELD_COLUMN = {"经度": "lon", "纬度": "lat", "启用日期": "opened_on", "专职人员": "staff_full",
                          "兼职人员": "staff_part"}
_STATUS = {"在用": "active", "运行": "active", "运行中": "active", "正常": "active", "已建成": "active",
           "active": "active", "筹建中": "building", "筹建": "building", "在建": "building", "建设中": "building",
           "building": "building"}
_URBAN = {"城镇": True, "城市": True, "城区": True, "城": True, "urban": True, "是": True,
          "农村": False, "乡村": False, "农": False, "rural": False, "否": False}
_REGION_KIND = {"村": "village", "行政村": "village", "village": "village", "社区": "community",
                "居委会": "community", "community": "community"}
_ALIAS_SPLIT = re.compile(r"[、,，;；/]+")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_FOOTERS = tuple(norm(w) for w in FOOTER_WORDS)


# --- what a check finds and what a commit writes ----------------------------------------------------

@dataclass
class RowChange:
    """One data row of the sheet and what it will do."""

    row: int                                  # 0-based sheet row
    action: str                               # new / changed / same
    code: str                                 # the entry's code ("" for a new point: assigned on commit)
    name: str
    data: dict[str, Any]                      # what the write function gets
    target_id: int | None = None              # the entry updated
    before: dict[str, Any] | None = None      # its stored values when checked (the commit compares)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # shown label -> (before, after)


@dataclass
class ImportPreview:
    kind: str
    filename: str
    sha256: str
    data: bytes
    read: ReadResult
    problems: list[Problem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return self.read.located is not None and not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(c.action == k for c in self.changes) for k in (NEW, CHANGED, SAME)}


@dataclass
class ImportResult:
    status: str                               # accepted / nothing / stale / rejected
    message_key: str
    counts: dict[str, int] = field(default_factory=dict)


class _Row:
    """The cells of one sheet row by column key, with their problems collected as they are read."""

    def __init__(self, preview: ImportPreview, sheet: str, r: int, row: list[Any], colmap: dict[str, int],
                 notes: Notes) -> None:
        self.preview, self.sheet, self.r, self.row, self.colmap, self.notes = preview, sheet, r, row, colmap, notes
        self.bad: set[str] = set()            # columns with an error already: no second message about them

    def raw(self, key: str) -> Any:
        c = self.colmap.get(key)
        return self.row[c] if c is not None and c < len(self.row) else None

    def given(self, key: str) -> bool:
        v = self.raw(key)
        return v is not None and not (isinstance(v, str) and not v.strip())

    def text(self, key: str) -> str:
        return show_value(self.raw(key)).strip()

    def error(self, key: str, column: str | None, **values: Any) -> None:
        if column is not None and column in self.bad:
            return
        if column is not None:
            self.bad.add(column)
        self.preview.problems.append(err(key, sheet=self.sheet, row=self.r, col=self.colmap.get(column or ""),
                                         value=self.text(column) if column else "", **values))

    def warn(self, key: str, column: str | None, **values: Any) -> None:
        self.preview.problems.append(warn(key, sheet=self.sheet, row=self.r, col=self.colmap.get(column or ""),
                                          value=self.text(column) if column else "", **values))

    def notice(self, key: str, column: str, **values: Any) -> None:
        self.notes.add(key, sheet=self.sheet, row=self.r, col=self.colmap.get(column), value=self.text(column),
                       **values)

    def number(self, key: str, whole: bool = False) -> float | None:
        if not self.given(key):
            return None
        parsed = parse_number(self.raw(key))
        for n_key in parsed.notes:
            self.notice(n_key, key)
        label = _label(self.preview.kind, key)
        if parsed.error or parsed.value is None:
            self.error("refimport.err.not_number", key, column_label=label)
            return None
        if whole and (parsed.value < 0 or not float(parsed.value).is_integer()):
            self.error("refimport.err.not_count", key, column_label=label)
            return None
        return parsed.value

    def date(self, key: str) -> dt.date | None:
        raw = self.raw(key)
        if not self.given(key):
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 20000 <= raw <= 80000:
            self.notice("refimport.note.serial_date", key)  # a date cell an old .xls gives as a day number
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(raw))
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        match = _DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
        if match:
            try:
                day = dt.date(int(match[1]), int(match[2]), int(match[3]))
                self.notice("refimport.note.text_date", key, date=day.isoformat())
                return day
            except ValueError:
                pass
        self.error("refimport.err.bad_date", key, column_label=_label(self.preview.kind, key))
        return None

    def choice(self, key: str, options: dict[str, Any], error_key: str) -> Any:
        if not self.given(key):
            return None
        found = options.get(norm_label(self.raw(key)))
        if found is None:
            self.error(error_key, key)
        return found


def _label(kind: str, key: str, lang: str = "zh") -> str:
    col = next((c for c in COLUMNS[kind] if c.key == key), None)
    return (col.label_en if lang == "en" else col.label_zh) if col else key


def _type_options(session: Session) -> dict[str, str]:
    """Type names as written in sheets: each type's code, Chinese and English name and the aliases the
    administrator keeps for it (point_types; "社工室", "心理咨询室"). Names win over aliases."""
    out: dict[str, str] = {}
    names = point_types.type_names(session)
    for code, (_zh, _en, aliases) in names.items():
        for text in aliases:
            out.setdefault(norm_label(text), code)
    for code, (zh, en, _aliases) in names.items():
        for text in (code, zh, en):
            out[norm_label(text)] = code
    return out


def _type_label(session: Session, code: str) -> str:
    """A type's Chinese name, read once per session (an import shows hundreds of rows)."""
    labels = session.info.get("point_type_labels_zh")
    if labels is None:
        labels = session.info["point_type_labels_zh"] = point_types.type_labels(session, "zh")
    return labels.get(code, code)


def _place_index(regions: list[m.Region]) -> EntityIndex:
    return EntityIndex([region_entity(r) for r in regions])


def _resolve_place(row: _Row, key: str, index: EntityIndex, by_id: dict[int, m.Region]) -> m.Region | None:
    """A township/village as written (code, name, alias, 鎮/镇, without 镇/乡/街道): the region, or None."""
    text = row.text(key)
    if not text:
        return None
    entity = index.by_code.get(text) or index.by_code.get(norm(text))
    if entity is None:
        found = index.find(text)
        if len(found) > 1:
            row.error("ingest.err.ambiguous_name", key, count=len(found))
            return None
        entity = found[0] if found else None
        if entity is not None and text != entity.name_zh:
            row.notice("ingest.note.alias", key, name=entity.name_zh)
    return by_id.get(entity.id) if entity else None


# --- checking ---------------------------------------------------------------------------------------

def read_reference(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Open, meta sheet and header of a reference sheet (what runs in the sandbox child)."""
    wb, result = open_workbook(data, limits)
    if wb is None:
        return result
    try:
        result.meta = read_meta(wb)
        locate_columns(wb, COLUMNS[kind], t(f"refimport.kind.{kind}", "zh"), result, limits)
    finally:
        wb.close()
    meta = result.meta
    if meta.get("department") or (meta.get("kind") and meta["kind"] != kind):
        result.problems.insert(0, err("refimport.err.wrong_kind", sheet=META_SHEET,
                                      expected=t(f"refimport.kind.{kind}", "zh")))
    return result


def check_import(session: Session, actor: Actor | None, kind: str, data: bytes, filename: str,
                 today: dt.date | None = None, limits: Limits = DEFAULT_LIMITS,
                 coords_system: str = coords.WGS84) -> ImportPreview:
    """Read and check a reference sheet; writes nothing. Raises PermissionDenied before reading.

    coords_system: the map the sheet's coordinates were copied from (coords.GCJ02 for 高德/腾讯,
    BD09 for 百度): new or changed coordinates are converted to WGS84; a row that repeats a point's
    stored coordinates (the downloaded list) is left as it is."""
    if kind not in KINDS:
        raise ValueError(kind)
    access.require(actor, PERMISSION[kind])
    preview = _check_import(session, kind, data, filename, today, limits, coords_system)
    preview.problems = as_shown(preview.problems)  # a refused sheet claims no automatic handling
    return preview


def _check_import(session: Session, kind: str, data: bytes, filename: str, today: dt.date | None,
                  limits: Limits, coords_system: str) -> ImportPreview:
    # In a child process: a hostile file is refused there and cannot take the server down.
    result = read_untrusted(read_reference, data, kind, limits)
    preview = ImportPreview(kind, filename, hashlib.sha256(data).hexdigest(), data, result)
    preview.problems.extend(result.problems)
    loc = result.located
    if loc is None:
        return preview
    for key in REQUIRED[kind]:
        if key not in loc.colmap:
            preview.problems.append(err("ingest.err.missing_column", sheet=loc.sheet, row=loc.header_row,
                                        column_label=_label(kind, key)))
    if preview.errors:
        return preview
    notes = Notes()
    shifts: list[float] = []
    check_row = _point_checker(session, today or dt.date.today(), coords_system, shifts) if kind == SERVICE_POINTS \
        else _region_checker(session)
    for r in range(loc.header_row + 1, len(loc.rows)):
        row = _Row(preview, loc.sheet, r, loc.rows[r], loc.colmap, notes)
        cells = [v for v in row.row if v is not None and not (isinstance(v, str) and not v.strip())]
        if not cells:
            continue
        first = norm(next((v for v in cells if isinstance(v, str)), ""))
        label = norm(row.text("name_zh") or row.text("code")) or first
        if any(w in label for w in TOTAL_WORDS):
            notes.add("ingest.note.total_row", sheet=loc.sheet, row=r, col=loc.colmap.get("name_zh"), value=label)
            continue
        if first.startswith(_FOOTERS) and not row.given("code"):
            notes.add("ingest.note.footer_row", sheet=loc.sheet, row=r, col=0, value=first)
            continue
        preview.rows_read += 1
        change = check_row(row)
        if change is not None and not row.bad:
            preview.changes.append(change)
    if shifts:
        preview.problems.append(note("setup.coords.note", sheet=loc.sheet, count=len(shifts),
                                     system=t(f"setup.coords.{coords_system}", "zh").split("（")[0],
                                     metres=round(sum(shifts) / len(shifts))))
    if preview.rows_read == 0 and not preview.errors:
        preview.problems.append(err("ingest.err.no_rows", sheet=loc.sheet, row=loc.header_row + 1, col=0))
    preview.problems.extend(notes.finish())
    order = {ERROR: 0, WARNING: 1, NOTICE: 2}
    preview.problems.sort(key=lambda p: (order[p.severity], p.row if p.row is not None else -1,
                                         p.col if p.col is not None else -1))
    return preview


def _point_checker(session: Session, today: dt.date, system: str = coords.WGS84,
                   shifts: list[float] | None = None) -> Callable[[_Row], RowChange | None]:
    places = registry.Places(session)
    root = places.root
    towns = ix.regions_at(session, root.code, "township") if root else []
    town_index, town_by_id = _place_index(towns), {r.id: r for r in towns}
    village_index: dict[int, tuple[EntityIndex, dict[int, m.Region]]] = {}
    points = {sp.code: sp for sp in session.scalars(select(m.ServicePoint))}
    place, parent = aliased(m.Region), aliased(m.Region)
    live_names = {(name, p_code if level == "village" else r_code) for name, level, r_code, p_code in session.execute(
        select(m.ServicePoint.name_zh, place.level, place.code, parent.code)
        .join(place, place.id == m.ServicePoint.region_id).outerjoin(parent, parent.id == place.parent_id)
        .where(m.ServicePoint.retired_on.is_(None)))}
    types = _type_options(session)
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    locked = approval.locked_quarters(session)  # once for the sheet, not once a row

    def villages_of(town: m.Region) -> tuple[EntityIndex, dict[int, m.Region]]:
        if town.id not in village_index:
            vs = ix.regions_at(session, town.code, "village")
            village_index[town.id] = (_place_index(vs), {v.id: v for v in vs})
        return village_index[town.id]

    def check(row: _Row) -> RowChange | None:
        code = unicodedata.normalize("NFKC", row.text("code"))
        existing = points.get(code) if code else None
        if code and not CODE_RE.match(code):
            row.error("refimport.err.code_format", "code")
        if code and code in seen_codes:
            row.error("refimport.err.duplicate_code", "code", first=seen_codes[code] + 1)
        elif code:
            seen_codes[code] = row.r
        if existing is not None and existing.retired_on is not None:
            row.error("registry.error.retired", "code", name=existing.name_zh, date=existing.retired_on.isoformat())
            return None
        given: dict[str, Any] = {}
        for key in ("name_zh", "name_en", "phone", "note", "facility_code"):
            if row.given(key):
                given[key] = row.text(key)
        if row.given("type"):
            given["type"] = row.choice("type", types, "registry.error.type")
        if row.given("status"):
            given["status"] = row.choice("status", _STATUS, "registry.error.status")
        town = _resolve_place(row, "township", town_index, town_by_id)
        if town is not None:
            given["township"] = town.code
        elif row.given("township"):
            given["township"] = row.text("township")  # the registry check says it is unknown
        if row.given("village"):
            base = town or (existing.region.parent if existing is not None and existing.region.level == "village"
                            else existing.region if existing is not None else None)
            village = _resolve_place(row, "village", *villages_of(base)) if base is not None else None
            given["village"] = village.code if village is not None else row.text("village")
        for key in ("lon", "lat"):
            if row.given(key):
                given[key] = row.number(key)
        if system != coords.WGS84 and ("lon" in given or "lat" in given):
            given["coords"] = system
            if existing is not None:
                given = registry.unconverted_if_unmoved(given, registry.entry_of(existing))
        for key in ("staff_full", "staff_part"):
            if row.given(key):
                given[key] = row.number(key, whole=True)
        if row.given("opened_on"):
            given["opened_on"] = row.date("opened_on")
        if existing is None:
            entry = given
        else:
            entry = registry.entry_of(existing)
            if given.get("township") == entry["township"] and "village" not in given:
                del given["township"]  # unchanged: a blank village cell keeps the village (edit_point would not)
            elif "township" in given and "village" not in given:
                entry["village"] = None  # a new township invalidates the old village
            entry.update(given)
        try:
            values = registry.check_entry(session, entry, today, places)
        except registry.RegistryError as exc:
            if existing is not None and not row.bad and _same_entry(entry, registry.entry_of(existing)):
                # The row repeats a stored entry that is itself wrong (e.g. coordinates outside the
                # county): not this file's fault, and nothing is written for it; say so, do not block.
                for key, params in exc.problems:
                    row.warn("refimport.warn.stored_problem", _problem_column(key, params, row), problem_key=key,
                             **{k: v for k, v in params.items() if k != "value"})
                return RowChange(row.r, SAME, existing.code, existing.name_zh, {}, target_id=existing.id)
            for key, params in exc.problems:
                row.error(key, _problem_column(key, params, row), **{k: v for k, v in params.items() if k != "value"})
            return None
        before = None if existing is None else registry.counting_state(existing)
        moved = registry.approved_quarters_moved(session, before, {**(before or {"retired_on": None}), **values},
                                                 locked)
        if moved:
            key, params = registry.approved_problem(moved)
            row.error(key, "opened_on", **params)
            return None
        if shifts is not None and entry.get("coords") not in (None, coords.WGS84) and entry.get("lon") is not None \
                and entry.get("lat") is not None:
            shifts.append(coords.shift_metres(float(entry["lon"]), float(entry["lat"]), system))
        name_key = (values["name_zh"], entry.get("township") or "")
        if existing is None:
            if name_key in seen_names:
                row.error("refimport.err.duplicate_name", "name_zh", first=seen_names[name_key] + 1)
            elif name_key in live_names:
                row.warn("refimport.warn.point_exists", "name_zh")
        seen_names.setdefault(name_key, row.r)
        shown = _point_display(session, values)
        if existing is None:
            data = {**entry, "code": code} if code else dict(entry)
            return RowChange(row.r, NEW, code, values["name_zh"], data,
                             fields={k: (None, v) for k, v in shown.items() if v not in (None, "")})
        before = registry.snapshot(existing)
        old = _point_display(session, {k: getattr(existing, k) for k in values})
        diff = {k: (old[k], shown[k]) for k in shown if old[k] != shown[k]}
        return RowChange(row.r, CHANGED if diff else SAME, existing.code, values["name_zh"], given,
                         target_id=existing.id, before=before, fields=diff)

    return check


def _problem_column(key: str, params: dict[str, Any], row: _Row) -> str | None:
    column = _REGISTRY_COLUMN.get(key) or _REGISTRY_FIELD_COLUMN.get(str(params.get("field", "")))
    return column if column in row.colmap else None


def _same_entry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def plain(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 6)
        return None if v in ("", None) else v
    return all(plain(a.get(k)) == plain(b.get(k)) for k in set(a) | set(b))


def _point_display(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Stored point values as a person reads them (type label, place and facility names)."""
    region = session.get(m.Region, values["region_id"])
    facility = session.get(m.Facility, values["facility_id"]) if values.get("facility_id") else None
    return {
        "type": _type_label(session, values["type"]), "name_zh": values["name_zh"], "name_en": values["name_en"],
        "township": (region.parent.name_zh if region.level == "village" and region.parent else region.name_zh)
        if region else "",
        "village": region.name_zh if region and region.level == "village" else "",
        "facility_code": facility.name_zh if facility else "", "lon": _coordinate(values["lon"]),
        "lat": _coordinate(values["lat"]),
        "opened_on": values["opened_on"].isoformat() if values.get("opened_on") else "",
        "status": t(f"registry.status.{values['status']}", "zh"), "staff_full": values["staff_full"],
        "staff_part": values["staff_part"], "phone": values["phone"] or "", "note": values["note"] or ""}


def _region_checker(session: Session) -> Callable[[_Row], RowChange | None]:
    root = ix.root_region(session)
    towns = ix.regions_at(session, root.code, "township") if root else []
    town_index, town_by_id = _place_index(towns), {r.id: r for r in towns}
    regions = {r.code: r for r in session.scalars(select(m.Region))}
    # (parent id, Chinese name) -> code: siblings must not share a name (uploads find places by name).
    names = {(r.parent_id, r.name_zh): r.code for r in regions.values() if r.retired_on is None}
    seen_codes: dict[str, int] = {}

    def check(row: _Row) -> RowChange | None:
        code = unicodedata.normalize("NFKC", row.text("code"))
        if not code:
            row.error("refimport.err.code_missing", "code")
            return None
        if not CODE_RE.match(code):
            row.error("refimport.err.code_format", "code")
            return None
        if code in seen_codes:
            row.error("refimport.err.duplicate_code", "code", first=seen_codes[code] + 1)
            return None
        seen_codes[code] = row.r
        existing = regions.get(code)
        if existing is not None and (existing.level not in ("township", "village") or existing.retired_on):
            row.error("refimport.err.region_level", "code", name=existing.name_zh)
            return None
        parent = _resolve_place(row, "parent", town_index, town_by_id)
        if row.given("parent") and parent is None and "parent" not in row.bad:
            row.error("refimport.err.parent_unknown", "parent")
        if existing is not None and parent is not None and parent.id != existing.parent_id:
            row.error("refimport.err.parent_change", "parent", name=existing.name_zh)
        if existing is None and not row.given("parent"):
            row.error("refimport.err.parent_missing", "parent" if "parent" in row.colmap else "code")
        if existing is not None and existing.level == "township":
            parent = existing.parent
        elif existing is not None:
            parent = parent or existing.parent
        values: dict[str, Any] = {}
        name_zh = row.text("name_zh")
        if name_zh:
            if len(name_zh) > 64:
                row.error("refimport.err.too_long", "name_zh", max=64)
            values["name_zh"] = name_zh
        elif existing is None:
            row.error("refimport.err.name_missing", "name_zh" if "name_zh" in row.colmap else "code")
        if row.given("name_en"):
            values["name_en"] = row.text("name_en")[:128]
        if row.given("kind"):
            values["kind"] = row.choice("kind", _REGION_KIND, "refimport.err.kind")
            if existing is not None and existing.level == "township":
                values.pop("kind")  # 镇/乡/街道 are not changed from a sheet
        if row.given("is_urban"):
            values["is_urban"] = row.choice("is_urban", _URBAN, "refimport.err.urban")
        if row.given("population"):
            population = row.number("population", whole=True)
            values["population"] = None if population is None else int(population)
        lon = row.number("lon") if row.given("lon") else None
        lat = row.number("lat") if row.given("lat") else None
        if (lon is None) != (lat is None) and not ({"lon", "lat"} & row.bad):
            row.error("registry.error.coordinates_pair", "lon" if lon is None else "lat")
        elif lon is not None and lat is not None:
            town = parent if existing is None or existing.level == "village" else existing
            county = town.parent if town is not None and town.parent is not None else root
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                row.error("registry.error.coordinates_range", "lon", lon=lon, lat=lat)
            elif county is not None and county.boundary and not point_in_geometry(lon, lat, county.boundary):
                row.error("registry.error.outside_county", "lon", lon=lon, lat=lat, county=county.name_zh)
            else:
                values["centroid_lon"], values["centroid_lat"] = round(lon, 6), round(lat, 6)
                if town is not None and town.boundary and not point_in_geometry(lon, lat, town.boundary):
                    row.warn("refimport.warn.outside_township", "lon", township=town.name_zh)
        if row.given("aliases"):
            values["aliases"] = sorted({a.strip() for a in _ALIAS_SPLIT.split(row.text("aliases")) if a.strip()})
        if row.bad or (existing is None and parent is None):
            return None
        parent_id = existing.parent_id if existing is not None else parent.id  # type: ignore[union-attr]
        new_name = values.get("name_zh") or (existing.name_zh if existing else "")
        clash = names.get((parent_id, new_name))
        if clash is not None and clash != code:
            row.error("admin.err.region_name_taken", "name_zh", name=new_name)
            return None
        names[(parent_id, new_name)] = code
        if existing is None:
            if not code.startswith(parent.code):  # type: ignore[union-attr]
                row.warn("refimport.warn.code_prefix", "code", parent=parent.name_zh,  # type: ignore[union-attr]
                         parent_code=parent.code)  # type: ignore[union-attr]
            kind = values.get("kind") or ("community" if new_name.endswith("社区") else "village")
            data = dict(code=code, name_zh=new_name, name_en=values.get("name_en") or new_name, kind=kind,
                        parent_id=parent.id, is_urban=values.get("is_urban", kind == "community"),  # type: ignore
                        population=values.get("population"), centroid_lon=values.get("centroid_lon"),
                        centroid_lat=values.get("centroid_lat"), aliases=values.get("aliases") or None)
            shown = _region_display({**data, "parent": parent.name_zh})  # type: ignore[union-attr]
            return RowChange(row.r, NEW, code, new_name, data,
                             fields={k: (None, v) for k, v in shown.items() if v not in (None, "")})
        before = _region_values(existing)
        after = {**before, **values}
        if "name_zh" in values and values["name_zh"] != existing.name_zh and "aliases" not in values:
            after["aliases"] = sorted(set(existing.aliases or []) | {existing.name_zh})  # old name stays an alias
        if "aliases" in values or after["name_zh"] != existing.name_zh:
            after["aliases"] = sorted(set(after.get("aliases") or []) - {after["name_zh"]}) or None
        old, new = _region_display(before), _region_display(after)
        diff = {k: (old[k], new[k]) for k in new if old[k] != new[k]}
        changes = {k: v for k, v in after.items() if before.get(k) != v}
        return RowChange(row.r, CHANGED if diff else SAME, code, after["name_zh"], changes,
                         target_id=existing.id, before=before, fields=diff)

    return check


_REGION_FIELDS = ("name_zh", "name_en", "kind", "is_urban", "population", "centroid_lon", "centroid_lat", "aliases")


def _region_values(region: m.Region) -> dict[str, Any]:
    return {k: getattr(region, k) for k in _REGION_FIELDS}


def _region_display(values: dict[str, Any]) -> dict[str, Any]:
    kind = values.get("kind")
    return {"name_zh": values.get("name_zh"), "name_en": values.get("name_en"), "parent": values.get("parent", ""),
            "kind": {"community": "社区", "village": "村"}.get(kind or "", ""),
            "is_urban": "城镇" if values.get("is_urban") else "农村", "population": values.get("population"),
            "lon": _coordinate(values.get("centroid_lon")), "lat": _coordinate(values.get("centroid_lat")),
            "aliases": "、".join(sorted(set(values.get("aliases") or []) - {values.get("name_zh")}))}


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


# --- writing ----------------------------------------------------------------------------------------

class _Stale(Exception):
    pass


def commit_import(engine: Engine, actor: Actor | None, preview: ImportPreview,
                  today: dt.date | None = None) -> ImportResult:
    """Write every row of a checked sheet in one transaction, or nothing. 'stale' when an entry was
    changed by someone else since the check (check the file again)."""
    access.require(actor, PERMISSION[preview.kind])
    if not preview.ok:
        return ImportResult("rejected", "ingest.result.rejected")
    counts = preview.counts
    todo = [c for c in preview.changes if c.action != SAME]
    if not todo:
        return ImportResult("nothing", "refimport.result.nothing", counts)
    try:
        with db.session_scope(engine) as s:
            for change in todo:
                if preview.kind == SERVICE_POINTS:
                    _write_point(s, actor, change, today)
                else:
                    _write_region(s, actor, change)
            audit.record(s, actor, f"{_AUDIT_PREFIX[preview.kind]}.import",
                         preview.kind, None, after={"filename": preview.filename, "sha256": preview.sha256, **counts},
                         detail=preview.filename[:255])
            db.bump_data_version(s)
    except (_Stale, registry.RegistryError):
        return ImportResult("stale", "refimport.result.stale", counts)
    return ImportResult("accepted", "refimport.result.accepted", counts)


def record_refusal(engine: Engine, actor: Actor | None, preview: ImportPreview) -> None:
    """A refused file changes nothing, but the audit trail keeps that it was sent, by whom and why."""
    errors = preview.errors
    with db.session_scope(engine) as s:
        audit.record(s, actor, f"{_AUDIT_PREFIX[preview.kind]}.import_rejected", preview.kind, None,
                     after={"filename": preview.filename, "sha256": preview.sha256, "errors": len(errors)},
                     detail=errors_summary(errors))


def _write_point(s: Session, actor: Actor | None, change: RowChange, today: dt.date | None) -> None:
    if change.target_id is None:
        if change.code and s.scalar(select(m.ServicePoint.id).where(m.ServicePoint.code == change.code)):
            raise _Stale()
        registry.add_point(s, actor, change.data, today)
        return
    sp = s.get(m.ServicePoint, change.target_id)
    if sp is None or registry.snapshot(sp) != change.before:
        raise _Stale()
    registry.edit_point(s, actor, sp.id, change.data, today)


def _write_region(s: Session, actor: Actor | None, change: RowChange) -> None:
    if change.target_id is None:
        parent = s.get(m.Region, change.data["parent_id"])
        if parent is None or s.scalar(select(m.Region.id).where(m.Region.code == change.code)):
            raise _Stale()
        region = m.Region(level="village", path=f"{parent.path}{change.code}/", **change.data)
        s.add(region)
        s.flush()
        audit.record(s, actor, "region.add", "region", region.code, before=None,
                     after={k: v for k, v in change.data.items() if v is not None})
        return
    region = s.get(m.Region, change.target_id)
    if region is None or _region_values(region) != change.before:
        raise _Stale()
    before = {k: getattr(region, k) for k in change.data}
    for key, value in change.data.items():
        setattr(region, key, value)
    audit.record(s, actor, "region.update", "region", region.code, before=before, after=change.data)


# --- the template: the current entries, ready to edit -------------------------------------------------

def template(session: Session, actor: Actor | None, kind: str) -> tuple[str, bytes]:
    """(file name, .xlsx) listing the current entries under the import header, with dropdowns."""
    access.require(actor, PERMISSION[kind])
    root = ix.root_region(session)
    towns = ix.regions_at(session, root.code, "township") if root else []
    rows = _point_rows(session) if kind == SERVICE_POINTS else _region_rows(session, towns)
    cols = COLUMNS[kind]
    wb = Workbook()
    info = wb.active
    info.title = "填表说明"
    info.column_dimensions["A"].width = 100
    lines = [t(f"refimport.tpl.title.{kind}", "zh")] + [t(f"refimport.tpl.howto{i}.{kind}", "zh") for i in (1, 2, 3)]
    lines += [t(f"refimport.tpl.howto{i}", "zh") for i in (4, 5)]
    for r, line in enumerate(lines, start=1):
        cell = put(info, f"A{r}", line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    info["A1"].font = Font(bold=True, size=14)
    ws = wb.create_sheet(t(f"refimport.kind.{kind}", "zh")[:31])
    wb.active = 1
    put(ws, "A1", t(f"refimport.tpl.title.{kind}", "zh")).font = Font(bold=True, size=14)
    for i, col in enumerate(cols, start=1):
        cell = put(ws, f"{get_column_letter(i)}{HEADER_ROW}", col.label_zh)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = 28 if col.role == NAME else 14
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for i, col in enumerate(cols, start=1):
            value = values.get(col.key)
            cell = ws.cell(row=r, column=i)
            if value not in (None, ""):
                put(ws, cell.coordinate, value)
            if col.key == "opened_on":
                cell.number_format = "yyyy-mm-dd"
            elif col.key in ("code", "phone"):
                cell.number_format = "@"
    lists = wb.create_sheet(LIST_SHEET)
    choices = {SERVICE_POINTS: {"type": [p.name_zh for p in point_types.point_types(session)],
                                "status": [t("registry.status.active", "zh"), t("registry.status.building", "zh")],
                                "township": [r.name_zh for r in towns]},
               REGIONS: {"parent": [r.name_zh for r in towns], "kind": ["村", "社区"], "is_urban": ["城镇", "农村"]}}[kind]
    bottom = HEADER_ROW + len(rows) + 500
    for n, (key, options) in enumerate(choices.items(), start=1):
        letter = get_column_letter(n)
        for r, option in enumerate(options, start=1):
            put(lists, f"{letter}{r}", option)
        c = next(i for i, col in enumerate(cols, start=1) if col.key == key)
        dv = DataValidation(type="list", formula1=f"={LIST_SHEET}!${letter}$1:${letter}${max(1, len(options))}",
                            allow_blank=True, showErrorMessage=True, error=t("refimport.tpl.dv_list", "zh"))
        dv.add(f"{get_column_letter(c)}{HEADER_ROW + 1}:{get_column_letter(c)}{bottom}")
        ws.add_data_validation(dv)
    lists.sheet_state = "hidden"
    for key in ("staff_full", "staff_part", "population"):
        c = next((i for i, col in enumerate(cols, start=1) if col.key == key), None)
        if c:
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error=t("ingest.tpl.dv_whole", "zh"))
            dv.add(f"{get_column_letter(c)}{HEADER_ROW + 1}:{get_column_letter(c)}{bottom}")
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    meta = wb.create_sheet(META_SHEET)
    for r, (k, v) in enumerate([("kind", kind), ("format_version", FORMAT_VERSION),
                                ("created", dt.date.today().isoformat())], start=1):
        meta.cell(row=r, column=1, value=k)
        put(meta, f"B{r}", v)
    meta.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return f"{t(f'refimport.kind.{kind}', 'zh')}-{dt.date.today():%Y%m%d}.xlsx", buf.getvalue()


def _point_rows(session: Session) -> list[dict[str, Any]]:
    out = []
    for sp in session.scalars(select(m.ServicePoint).where(m.ServicePoint.retired_on.is_(None))
                              .order_by(m.ServicePoint.code)):
        region = sp.region
        township = region.parent if region.level == "village" else region
        out.append(dict(code=sp.code, name_zh=sp.name_zh, name_en=sp.name_en, type=_type_label(session, sp.type),
                        township=township.name_zh if township else "",
                        village=region.name_zh if region.level == "village" else "",
                        facility_code=sp.facility.code if sp.facility else "", lon=sp.lon, lat=sp.lat,
                        opened_on=sp.opened_on, status=t(f"registry.status.{sp.status}", "zh"),
                        staff_full=sp.staff_full, staff_part=sp.staff_part, phone=sp.phone, note=sp.note))
    return out


def _region_rows(session: Session, towns: list[m.Region]) -> list[dict[str, Any]]:
    out = []
    for town in towns:
        for r in [town, *ix.regions_at(session, town.code, "village")]:
            out.append(dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en,
                            parent="" if r is town else town.name_zh,
                            kind={"community": "社区", "village": "村"}.get(r.kind or "", ""),
                            is_urban="城镇" if r.is_urban else "农村", population=r.population,
                            lon=r.centroid_lon, lat=r.centroid_lat, aliases="、".join(r.aliases or [])))
    return out


def field_label(kind: str, key: str, lang: str = "zh") -> str:
    """The column header a changed field is shown under in the preview."""
    return _label(kind, key, lang)


__all__ = ["KINDS", "SERVICE_POINTS", "REGIONS", "ImportPreview", "ImportResult", "RowChange", "check_import",
           "commit_import", "record_refusal", "template", "field_label", "NEW", "CHANGED", "SAME"]
