"""Step 2: townships and villages from the national division-code list (统计用区划代码), and the
resident population of each village from a sheet.

The list comes as the statistics bureau publishes it, turned into Excel or CSV by whoever copied
it: a 12-digit code, a name and, for villages, the 3-digit urban-rural class (城乡分类代码: 1xx
urban, 2xx rural). A township's code in the list is 12 digits ending in 000; everywhere else
(boundary files, the sample) it is the first 9: it is stored with 9. Rows of other counties are
skipped, so the province's whole list may be given.

Villages appear under their official names ("长乐村民委员会", "城关社区居委会"); they are stored as
people say them ("长乐村", "城关社区"), the official name kept as another spelling for uploads.
Loading the list again updates names (the old name stays an alias) and adds new codes; a place
missing from the new list is kept (merging or removing villages changes history) and named in a
warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from data_access import access, audit, db
from data_access import models as m
from data_access.ingest.checks import EntityIndex
from data_access.ingest.problems import Problem, err, note, warn
from data_access.ingest.reader import DEFAULT_LIMITS, Limits, parse_number
from data_access.ingest.spec import CODE, INFO, NAME, Column, region_entity
from data_access.setup.common import Checked, cell_text, digits_of, english_name, read_table, sha256
from data_access.setup.county import current_county

NAME_MAX = 64


def _col(key: str, zh: str, en: str, *aliases: str, role: str = INFO) -> Column:
    return Column(key, zh, en, role, aliases=aliases)


DIVISION_COLUMNS = [
    _col("code", "统计用区划代码", "Division code", "区划代码", "行政区划代码", "代码", "编码", "code", role=CODE),
    _col("name", "名称", "Name", "单位名称", "区划名称", "村级名称", "name", role=NAME),
    _col("urban", "城乡分类代码", "Urban-rural class", "城乡分类", "城乡代码", "城乡属性代码", "urban_code"),
    _col("name_en", "英文名称", "English name", "name_en"),
    _col("aliases", "别名", "Other spellings", "曾用名", "aliases"),
]
POPULATION_COLUMNS = [
    _col("code", "区划代码", "Area code", "统计用区划代码", "行政区划代码", "代码", "编码", "code", role=CODE),
    _col("name", "名称", "Name", "村(社区)名称", "村（社区）", "村社区名称", "村名", "name", role=NAME),
    _col("township", "所属乡镇（街道）", "Township", "乡镇", "所属乡镇", "乡镇(街道)", "乡镇街道", "township"),
    _col("population", "常住人口", "Resident population", "常住人口（人）", "常住人口数", "人口", "人口数", "population"),
]

# Official names -> how people say them (longest first).
_COMMITTEE = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"), ("居委会", "社区"),
              ("村民委员会", "村"), ("村委会", "村"), ("街道办事处", "街道"), ("人民政府", ""))
_ALIAS_SPLIT = re.compile(r"[、,，;；/]+")


def spoken_name(official: str) -> str:
    """'长乐村民委员会' -> '长乐村', '城关社区居委会' -> '城关社区', '西城街道办事处' -> '西城街道'."""
    for suffix, plain in _COMMITTEE:
        if official.endswith(suffix) and len(official) > len(suffix):
            return official[: -len(suffix)] + plain
    return official


def township_kind(name: str) -> str:
    if name.endswith(("街道", "街道办事处")):
        return "street"
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡"):
        return "township"
    return "park"  # 开发区, 园区, 管委会, 农场: administered like a township


@dataclass
class DivisionRow:
    """One place of the list, as the file (or the sample generator) gives it."""

    code: str                       # 9 digits (township) or 12 (village)
    name: str                       # the official name
    urban: str | None = None        # 城乡分类代码, villages
    name_en: str | None = None
    aliases: tuple[str, ...] = ()
    row: int | None = None          # 0-based sheet row, for problems
    # What the sample generator knows beyond the list (the real list has no such columns).
    kind: str | None = None
    population: int | None = None

    @property
    def level(self) -> str:
        return "township" if len(self.code) == 9 else "village"


@dataclass
class RegionChange:
    code: str
    level: str
    action: str                     # new / changed / same
    values: dict[str, Any]          # the region's fields after
    before: dict[str, Any] | None = None


@dataclass
class RegionsChecked(Checked):
    county_code: str = ""
    changes: list[RegionChange] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # codes in the database, not in the file

    @property
    def counts(self) -> dict[str, int]:
        out = {f"{level}_{action}": 0 for level in ("township", "village") for action in ("new", "changed", "same")}
        for c in self.changes:
            out[f"{c.level}_{c.action}"] += 1
        out["missing"] = len(self.missing)
        return out


def read_division_list(data: bytes, filename: str, county_code: str,
                       limits: Limits = DEFAULT_LIMITS) -> tuple[list[DivisionRow], list[Problem]]:
    """The township and village rows of one county from a division-code list (.csv/.xlsx/.xls)."""
    result = read_table(data, filename, DIVISION_COLUMNS, "统计用区划代码", limits)
    problems = list(result.problems)
    loc = result.located
    if loc is None or any(p.severity == "error" for p in problems):
        return [], problems
    if "code" not in loc.colmap or "name" not in loc.colmap:
        missing = "统计用区划代码" if "code" not in loc.colmap else "名称"
        problems.append(err("ingest.err.missing_column", sheet=loc.sheet, row=loc.header_row, column_label=missing))
        return [], problems
    rows: list[DivisionRow] = []
    other = 0
    for r in range(loc.header_row + 1, len(loc.rows)):
        raw = loc.rows[r]

        def cell(key: str) -> Any:
            c = loc.colmap.get(key)
            return raw[c] if c is not None and c < len(raw) else None

        code, name = digits_of(cell("code")), cell_text(cell("name"))
        if not code and not name:
            continue
        where = dict(sheet=loc.sheet, row=r)
        if not code.isdigit() or len(code) not in (6, 9, 12):
            problems.append(err("setup.err.division_code", col=loc.colmap["code"], value=code, **where))
            continue
        if not code.startswith(county_code):
            other += 1
            continue
        if len(code) == 6 or (len(code) == 12 and code[6:] == "000000"):
            continue  # the county's own row
        if len(code) == 12 and code[6:9] == "000":
            problems.append(err("setup.err.division_code", col=loc.colmap["code"], value=code, **where))
            continue
        if len(code) == 12 and code.endswith("000"):
            code = code[:9]  # a township, as every other source writes it
        if not name:
            problems.append(err("refimport.err.name_missing", col=loc.colmap["name"], **where))
            continue
        urban = digits_of(cell("urban")) or None
        if urban is not None and not re.fullmatch(r"[12]\d\d", urban):
            problems.append(err("setup.err.urban_code", col=loc.colmap.get("urban"), value=urban, **where))
            continue
        aliases = tuple(a.strip() for a in _ALIAS_SPLIT.split(cell_text(cell("aliases"))) if a.strip())
        rows.append(DivisionRow(code, name, urban, cell_text(cell("name_en")) or None, aliases, r))
    if other:
        problems.append(note("setup.note.other_areas", sheet=loc.sheet, count=other, county=county_code))
    if not rows and not any(p.severity == "error" for p in problems):
        problems.append(err("setup.err.no_county_rows", sheet=loc.sheet, county=county_code))
    return rows, problems


def check_regions(session: Session, actor: access.Actor | None, rows: list[DivisionRow], filename: str = "",
                  sha: str = "", problems: Iterable[Problem] = (), county: m.Region | None = None) -> RegionsChecked:
    """What loading these rows would change under the county; every problem at once, nothing written."""
    access.require(actor, "reference.edit")
    county = county or current_county(session)
    checked = RegionsChecked(filename, sha, list(problems))
    if county is None:
        checked.problems.append(err("setup.err.no_county"))
        return checked
    checked.county_code = county.code
    existing = {r.code: r for r in session.scalars(select(m.Region).where(m.Region.path.startswith(county.path),
                                                                          m.Region.id != county.id))}
    seen: dict[str, int | None] = {}
    townships = {r.code for r in rows if r.level == "township"}
    names: dict[tuple[str, str], str] = {}
    for region in existing.values():
        if region.retired_on is None and region.level in ("township", "village"):
            parent_code = county.code if region.level == "township" else region.code[:9]
            names[(parent_code, region.name_zh)] = region.code
    where_of = {}
    for row in rows:
        where = dict(sheet=filename.rsplit("/", 1)[-1] if row.row is not None else "", row=row.row)
        where_of[row.code] = where
        if row.code in seen:
            checked.problems.append(err("refimport.err.duplicate_code", value=row.code, col=0,
                                        first=(seen[row.code] or 0) + 1, **where))
            continue
        seen[row.code] = row.row
        if row.level == "village" and row.code[:9] not in townships and (
                row.code[:9] not in existing or existing[row.code[:9]].level != "township"):
            checked.problems.append(err("setup.err.village_without_township", value=row.code, township=row.code[:9],
                                        **where))
            continue
        old = existing.get(row.code)
        if old is not None and old.level != row.level:
            checked.problems.append(err("refimport.err.region_level", value=row.code, name=old.name_zh, **where))
            continue
        name = spoken_name(row.name)
        if len(name) > NAME_MAX:
            checked.problems.append(err("refimport.err.too_long", value=name, max=NAME_MAX, **where))
            continue
        parent_code = county.code if row.level == "township" else row.code[:9]
        clash = names.get((parent_code, name))
        if clash is not None and clash != row.code:
            checked.problems.append(err("admin.err.region_name_taken", value=row.code, name=name, **where))
            continue
        names[(parent_code, name)] = row.code
        if old is not None and old.name_zh != name:
            names.pop((parent_code, old.name_zh), None)
        checked.changes.append(_change(row, name, old))
    listed = {c.code for c in checked.changes}
    checked.missing = sorted(code for code, r in existing.items()
                             if code not in listed and r.retired_on is None and r.level in ("township", "village"))
    if checked.missing:
        shown = "、".join(existing[c].name_zh for c in checked.missing[:10])
        checked.problems.append(warn("setup.warn.regions_missing", count=len(checked.missing), names=shown))
    checked.sort_problems()
    return checked


def _change(row: DivisionRow, name: str, old: m.Region | None) -> RegionChange:
    aliases = set(row.aliases)
    if name != row.name:
        aliases.add(row.name)  # the official name: sheets filled in with it still match
    if row.level == "township":
        kind = row.kind or township_kind(name)
        is_urban = kind in ("street", "park")
    else:
        kind = row.kind or ("community" if name.endswith("社区") else "village")
        is_urban = row.urban.startswith("1") if row.urban else kind == "community"
    values: dict[str, Any] = dict(name_zh=name, kind=kind, is_urban=is_urban)
    if old is None:
        values["name_en"] = row.name_en or english_name(name)
        values["aliases"] = sorted(aliases - {name}) or None
        if row.population is not None:
            values["population"] = row.population
        return RegionChange(row.code, row.level, "new", values)
    if row.name_en:
        values["name_en"] = row.name_en
    elif name != old.name_zh:
        values["name_en"] = english_name(name)
    kept = set(old.aliases or []) | aliases
    if name != old.name_zh:
        kept.add(old.name_zh)  # the old name stays an alias, as on the rename page
    values["aliases"] = sorted(kept - {name}) or None
    if row.population is not None:
        values["population"] = row.population
    before = {k: getattr(old, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    return RegionChange(row.code, row.level, "changed" if changed else "same", changed,
                        {k: before[k] for k in changed})


def apply_regions(session: Session, actor: access.Actor | None, checked: RegionsChecked,
                  county: m.Region | None = None) -> dict[str, int]:
    """Write a clean check in the caller's transaction: new places in bulk (townships, then their
    villages), changed ones one by one, one audit row for the load and one per changed place."""
    access.require(actor, "reference.edit")
    if not checked.ok:
        raise ValueError("refused file")
    county = county or current_county(session)
    assert county is not None and county.code == checked.county_code
    new = [c for c in checked.changes if c.action == "new"]
    for level in ("township", "village"):
        parents = {county.code: (county.id, county.path)} if level == "township" else {
            code: (rid, path) for rid, code, path in session.execute(
                select(m.Region.id, m.Region.code, m.Region.path)
                .where(m.Region.parent_id == county.id, m.Region.level == "township"))}
        rows = []
        for c in new:
            if c.level != level:
                continue
            parent_id, parent_path = parents[county.code if level == "township" else c.code[:9]]
            rows.append(dict(code=c.code, level=level, parent_id=parent_id, path=f"{parent_path}{c.code}/",
                             population=c.values.get("population"), name_en=c.values["name_en"],
                             name_zh=c.values["name_zh"], kind=c.values["kind"], is_urban=c.values["is_urban"],
                             aliases=c.values["aliases"], centroid_lon=None, centroid_lat=None, retired_on=None))
        for i in range(0, len(rows), 5000):  # Core executemany: a province sample loads 30,000 places
            session.connection().execute(insert(m.Region.__table__), rows[i:i + 5000])
    changed = [c for c in checked.changes if c.action == "changed"]
    if changed:
        by_code = {r.code: r for r in session.scalars(select(m.Region).where(
            m.Region.code.in_([c.code for c in changed])))}
        for c in changed:
            region = by_code[c.code]
            for key, value in c.values.items():
                setattr(region, key, value)
            audit.record(session, actor, "region.update", "region", c.code, before=c.before, after=c.values)
    counts = checked.counts
    if new:
        _roll_up_population(session, county)
    audit.record(session, actor, "setup.regions", "region", county.code,
                 after={"filename": checked.filename, "sha256": checked.sha256, **counts,
                        "added": [c.code for c in new][:2000]},
                 detail=checked.filename[:255] or None)
    db.bump_data_version(session)
    session.flush()
    return counts


def load_regions(engine, actor: access.Actor | None, data: bytes, filename: str,  # noqa: ANN001
                 write: bool = True) -> RegionsChecked:
    """Read, check and (when clean and asked) write a division-code list: the command and the page."""
    with db.session_scope(engine) as s:
        county = current_county(s)
        if county is None:
            access.require(actor, "reference.edit")
            checked = RegionsChecked(filename, sha256(data))
            checked.problems.append(err("setup.err.no_county"))
            return checked
        rows, problems = read_division_list(data, filename, county.code)
        checked = check_regions(s, actor, rows, filename, sha256(data), problems, county)
        if write and checked.ok:
            apply_regions(s, actor, checked, county)
    return checked


# --- population ----------------------------------------------------------------------------------

@dataclass
class PopulationChecked(Checked):
    values: dict[str, int] = field(default_factory=dict)       # region code -> residents
    before: dict[str, int | None] = field(default_factory=dict)
    villages_without: list[str] = field(default_factory=list)


def check_population(session: Session, actor: access.Actor | None, data: bytes, filename: str,
                     limits: Limits = DEFAULT_LIMITS) -> PopulationChecked:
    """Residents per village (by code, else by name within its township) from a sheet."""
    access.require(actor, "reference.edit")
    checked = PopulationChecked(filename, sha256(data))
    county = current_county(session)
    if county is None:
        checked.problems.append(err("setup.err.no_county"))
        return checked
    result = read_table(data, filename, POPULATION_COLUMNS, "常住人口", limits)
    checked.problems.extend(result.problems)
    loc = result.located
    if loc is None or not checked.ok:
        return checked
    if "population" not in loc.colmap:
        checked.problems.append(err("ingest.err.missing_column", sheet=loc.sheet, row=loc.header_row,
                                    column_label="常住人口"))
        return checked
    regions = list(session.scalars(select(m.Region).where(m.Region.path.startswith(county.path),
                                                          m.Region.retired_on.is_(None))))
    by_code = {r.code: r for r in regions}
    towns = [r for r in regions if r.level == "township"]
    town_index = EntityIndex([region_entity(r) for r in towns])
    village_index = {t.id: EntityIndex([region_entity(r) for r in regions if r.parent_id == t.id]) for t in towns}
    all_villages = EntityIndex([region_entity(r) for r in regions if r.level == "village"])
    by_id = {r.id: r for r in regions}
    seen: dict[str, int] = {}
    for r in range(loc.header_row + 1, len(loc.rows)):
        raw = loc.rows[r]

        def cell(key: str) -> Any:
            c = loc.colmap.get(key)
            return raw[c] if c is not None and c < len(raw) else None

        code, name, town_text = digits_of(cell("code")), cell_text(cell("name")), cell_text(cell("township"))
        if not code and not name:
            continue
        if any(w in name for w in ("合计", "总计", "小计")):
            continue
        where = dict(sheet=loc.sheet, row=r)
        if len(code) == 12 and code.endswith("000"):
            code = code[:9]
        region = by_code.get(code) if code else None
        if region is None and name:
            town = None
            if town_text:
                found = town_index.find(town_text)
                town = by_id[found[0].id] if len(found) == 1 else None
            index = village_index.get(town.id) if town is not None else all_villages
            found = index.find(name) if index is not None else []
            if not found and town is None:
                found = town_index.find(name)
            if len(found) > 1:
                checked.problems.append(err("setup.err.place_ambiguous", col=loc.colmap.get("name"), value=name,
                                            **where))
                continue
            region = by_id[found[0].id] if found else None
        if region is None:
            checked.problems.append(err("setup.err.place_unknown", col=loc.colmap.get("code", loc.colmap.get("name")),
                                        value=code or name, county=county.name_zh, **where))
            continue
        parsed = parse_number(cell("population"))
        if parsed.error or parsed.value is None or parsed.value < 0 or not float(parsed.value).is_integer():
            checked.problems.append(err("refimport.err.not_count", col=loc.colmap["population"],
                                        value=cell_text(cell("population")), column_label="常住人口", **where))
            continue
        if region.code in seen:
            checked.problems.append(err("refimport.err.duplicate_code", col=loc.colmap.get("name"),
                                        value=region.name_zh, first=seen[region.code] + 1, **where))
            continue
        seen[region.code] = r
        checked.values[region.code] = int(parsed.value)
        checked.before[region.code] = region.population
    villages = [r for r in regions if r.level == "village"]
    checked.villages_without = [v.code for v in villages if v.code not in checked.values and v.population is None]
    if checked.villages_without and checked.values:
        checked.problems.append(warn("setup.warn.population_missing", count=len(checked.villages_without),
                                     names="、".join(by_code[c].name_zh for c in checked.villages_without[:10])))
    if not checked.values and checked.ok:
        checked.problems.append(err("ingest.err.no_rows", sheet=loc.sheet, row=loc.header_row + 1, col=0))
    checked.sort_problems()
    return checked


def apply_population(session: Session, actor: access.Actor | None, checked: PopulationChecked) -> int:
    """Write the residents; townships without a figure of their own (and the county) become the sum
    of what lies below them. One audit row. Returns the number of places changed."""
    access.require(actor, "reference.edit")
    if not checked.ok:
        raise ValueError("refused file")
    county = current_county(session)
    assert county is not None
    changed = {c: v for c, v in checked.values.items() if checked.before.get(c) != v}
    for region in session.scalars(select(m.Region).where(m.Region.code.in_(list(changed)))):
        region.population = changed[region.code]
    session.flush()
    _roll_up_population(session, county, keep=set(checked.values))
    audit.record(session, actor, "setup.population", "region", county.code,
                 after={"filename": checked.filename, "sha256": checked.sha256, "places": len(checked.values),
                        "changed": len(changed)}, detail=checked.filename[:255] or None)
    db.bump_data_version(session)
    return len(changed)


def _roll_up_population(session: Session, county: m.Region, keep: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Townships = sum of their villages (unless given their own figure), county = sum of townships."""
    session.flush()
    rows = session.execute(select(m.Region.id, m.Region.code, m.Region.level, m.Region.parent_id,
                                  m.Region.population)
                           .where(m.Region.path.startswith(county.path), m.Region.retired_on.is_(None))).all()
    sums: dict[int, int] = {}
    for rid, code, level, parent_id, population in rows:
        if level == "village" and population is not None and parent_id is not None:
            sums[parent_id] = sums.get(parent_id, 0) + population
    total, changes = 0, []
    for rid, code, level, parent_id, population in rows:
        if level != "township":
            continue
        if code not in keep and rid in sums:
            population = sums[rid]
            changes.append(dict(id=rid, population=population))
        total += population or 0
    if changes:
        session.execute(update(m.Region), changes)
    if total:
        county.population = total


def load_population(engine, actor: access.Actor | None, data: bytes, filename: str,  # noqa: ANN001
                    write: bool = True) -> PopulationChecked:
    with db.session_scope(engine) as s:
        checked = check_population(s, actor, data, filename)
        if write and checked.ok:
            apply_population(s, actor, checked)
    return checked

