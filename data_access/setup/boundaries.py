"""Step 3: township or village boundaries from a file, matched to the regions, checked, and written.

The order of work, so the preview is right before anything is written:
1. read the file (geofiles.read_layer) and settle its coordinate system: the one asked for, else
   the file's own (.prj, GeoJSON "crs"), else read from the numbers (longitude/latitude; or
   Gauss-Krueger eastings whose first two digits are the zone: 39,500,000 m is zone 39 =
   EPSG:4527). CGCS2000 geographic (EPSG:4490) is taken as WGS84: they differ by centimetres.
2. reproject to WGS84 with pyproj; a feature that lands outside China means a wrong CRS.
3. match each feature to a township or village: by code (a township's 12-digit code ending in 000
   is its 9-digit code), else by name with the usual suffixes tolerated (镇/乡/街道,
   村/社区/居委会/村委会); a village by name within its township (a township property, its code's
   first 9 digits, or where it lies). Several features with one code are one place in parts.
4. check each geometry: not an area, self-intersecting (with where), a village outside its township.
   With repair=True an invalid ring is mended (shapely.make_valid) and said so.
5. simplify for the map as one coverage (shared edges stay shared: no slivers between townships),
   and derive the county outline from its townships.
Nothing is written until apply_boundaries(); a refused file (any error) writes nothing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data_access import access, audit, db
from data_access import models as m
from data_access.ingest.problems import Problem, err, note, warn
from data_access.ingest.spec import norm
from data_access.setup import geofiles
from data_access.setup.common import Checked, cell_text, digits_of, sha256
from data_access.setup.county import current_county
from i18n.numbers import percent

LEVELS = ("township", "village")
MATCHED, UNMATCHED, AMBIGUOUS, COUNTY = "matched", "unmatched", "ambiguous", "county"
# Stored boundaries are simplified once, here (the map simplifies again for its zoom): about 10 m
# for townships, 5 m for villages -- finer than a screen pixel at the zoom each is looked at.
SIMPLIFY = {"township": 0.0001, "village": 0.00005, "county": 0.0001}
DIGITS = 6
CHINA = (73.0, 3.0, 136.0, 54.0)
# Share of a village's area that must lie inside its township, else it is flagged.
INSIDE_WARN, INSIDE_ERROR = 0.9, 0.5
GEOD = Geod(ellps="WGS84")

# Property names that carry a feature's code, name and (for villages) township, in order of trust.
CODE_KEYS = ("adcode", "统计用区划代码", "区划代码", "行政区划代码", "行政区代码", "xzqdm", "xzqhdm", "qhdm", "cun_code",
             "village_code", "xiang_code", "town_code", "gb", "code", "代码", "编码", "dm")
NAME_KEYS = ("name", "名称", "xzqmc", "qhmc", "村名称", "村名", "村(社区)名称", "村社区", "乡镇名称", "行政区名称", "区划名称",
             "mc", "name_zh", "name_chn", "cname", "名字")
TOWNSHIP_KEYS = ("所属乡镇", "乡镇", "乡镇名称", "乡镇街道", "township", "town", "xiang", "xzmc", "parent", "parent_name")
# Name endings dropped when matching (longest first), as people leave them out or add them.
NAME_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "街道办事处", "居委会", "村委会", "办事处",
                 "人民政府", "街道", "社区", "镇", "乡", "村")


# --- what the check finds -------------------------------------------------------------------------

@dataclass
class FeatureMatch:
    index: int
    name: str                                # as the file has it
    code: str                                # as the file has it (digits)
    status: str = UNMATCHED                  # matched / unmatched / ambiguous / county
    by: str = ""                             # code / name / place
    region_code: str | None = None
    region_name: str = ""
    candidates: list[str] = field(default_factory=list)
    geometry: BaseGeometry | None = None     # WGS84, checked (simplified when matched)
    problems: list[Problem] = field(default_factory=list)

    @property
    def area_km2(self) -> float | None:
        """On the ellipsoid (the preview shows it; computed when asked, not for every sample feature)."""
        if self.geometry is None:
            return None
        return round(abs(GEOD.geometry_area_perimeter(self.geometry)[0]) / 1e6, 2)


@dataclass
class BoundariesChecked(Checked):
    level: str = ""
    crs_name: str = ""
    crs_how: str = ""                         # option / file / guessed / geographic
    layer_name: str = ""
    features: list[FeatureMatch] = field(default_factory=list)
    without: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of regions with no feature
    county_outline: BaseGeometry | None = None
    county_code: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(f.status == k for f in self.features) for k in (MATCHED, UNMATCHED, AMBIGUOUS, COUNTY)} | {
            "regions": len({f.region_code for f in self.features if f.status == MATCHED}),
            "without": len(self.without)}


# --- coordinate systems ---------------------------------------------------------------------------

def parse_crs(text: str) -> CRS:
    """'EPSG:4527', '4527', 'CGCS2000 / 3-degree Gauss-Kruger zone 39' or WKT. Raises CRSError."""
    text = (text or "").strip()
    if re.fullmatch(r"\d{4,5}", text):
        text = f"EPSG:{text}"
    return CRS.from_user_input(text)


def crs_choices() -> list[tuple[str, str]]:
    """The systems county data comes in, for the page's selector: (EPSG code, name)."""
    out = [("EPSG:4490", "CGCS2000 经纬度 (EPSG:4490)"), ("EPSG:4326", "WGS84 经纬度 (EPSG:4326)")]
    for zone in range(25, 46):
        out.append((f"EPSG:{4513 + zone - 25}", f"CGCS2000 3度带 第{zone}带 带号 (EPSG:{4513 + zone - 25})"))
    for cm in range(75, 136, 3):
        out.append((f"EPSG:{4534 + (cm - 75) // 3}", f"CGCS2000 3度带 中央经线{cm}°E 无带号 (EPSG:{4534 + (cm - 75) // 3})"))
    for zone in range(13, 24):
        out.append((f"EPSG:{4491 + zone - 13}", f"CGCS2000 6度带 第{zone}带 带号 (EPSG:{4491 + zone - 13})"))
    return out


def guess_crs(bounds: tuple[float, float, float, float]) -> tuple[CRS | None, str]:
    """A CRS from the numbers alone: degrees, or Gauss-Krueger eastings carrying their zone number."""
    west, south, east, north = bounds
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        return CRS.from_epsg(4490), "geographic"
    zone_w, zone_e = int(west // 1_000_000), int(east // 1_000_000)
    if zone_w == zone_e and 1_000_000 <= south <= 10_000_000:
        if 25 <= zone_w <= 45:      # 3-degree zones with the zone number in front (EPSG:4513-4533)
            return CRS.from_epsg(4513 + zone_w - 25), "guessed"
        if 13 <= zone_w <= 23:      # 6-degree zones (EPSG:4491-4501)
            return CRS.from_epsg(4491 + zone_w - 13), "guessed"
    return None, ""


def _is_geographic_wgs(crs: CRS) -> bool:
    """WGS84 or CGCS2000 longitude/latitude: no transformation (they differ by centimetres)."""
    return bool(crs.is_geographic and crs.to_epsg() in (4326, 4490))


def to_wgs84(geoms: list[BaseGeometry | None], crs: CRS) -> list[BaseGeometry | None]:
    """Reprojected with pyproj (x = easting/longitude first, whatever the CRS's axis order)."""
    if _is_geographic_wgs(crs):
        return geoms
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return [None if g is None else shapely.transform(g, move) for g in geoms]


# --- names and codes ------------------------------------------------------------------------------

def name_keys(name: str) -> list[str]:
    """'长乐村民委员会' -> ['长乐村民委员会', '长乐']; '城关社区居委会' -> [..., '城关社区', '城关']."""
    n = norm(name)
    keys = [n]
    changed = True
    while changed:
        changed = False
        for suffix in NAME_SUFFIXES:
            if n.endswith(suffix) and len(n) > len(suffix) + 1:  # a proper name of two characters at least
                n = n[: -len(suffix)]
                keys.append(n)
                changed = True
                break
    return keys


def _pick(props: dict[str, Any], keys: Iterable[str]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, "") and cell_text(value):
            return cell_text(value)
    return ""


class _NameIndex:
    def __init__(self, regions: list[m.Region]) -> None:
        self.regions = regions
        self.keys: dict[str, list[m.Region]] = {}
        for r in regions:
            spellings = {r.name_zh, *(r.aliases or [])}
            keys = {k for s in spellings for k in name_keys(s)} | {norm(r.name_en)}
            for k in keys:
                if k:
                    self.keys.setdefault(k, []).append(r)

    def find(self, text: str) -> list[m.Region]:
        for key in name_keys(text):
            found = self.keys.get(key)
            if found:
                return list(dict.fromkeys(found))
        return []


# --- checking -------------------------------------------------------------------------------------

def check_layer(session: Session, actor: access.Actor | None, layer: geofiles.Layer, *, level: str | None = None,
                crs: str | CRS | None = None, repair: bool = False, county: m.Region | None = None,
                filename: str = "", sha: str = "") -> BoundariesChecked:
    """Match, reproject and check every feature of a layer; writes nothing."""
    access.require(actor, "reference.edit")
    checked = BoundariesChecked(filename or layer.name, sha, list(layer.problems), layer_name=layer.name)
    county = county or current_county(session)
    if county is None:
        checked.problems.append(err("setup.err.no_county"))
        return checked
    checked.county_code = county.code
    if level is not None and level not in LEVELS:
        checked.problems.append(err("setup.err.level", value=level))
        return checked
    if not checked.ok or not layer.features:
        return checked
    sheet = layer.name
    # 1. the coordinate system
    source: CRS | None = None
    if crs:
        try:
            source = crs if isinstance(crs, CRS) else parse_crs(crs)
            checked.crs_how = "option"
        except CRSError:
            checked.problems.append(err("setup.err.crs_unknown", value=str(crs)))
            return checked
    elif layer.crs is not None:
        source, checked.crs_how = layer.crs, "file"
    geoms = [f.geometry for f in layer.features]
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        checked.problems.append(err("setup.err.no_areas", sheet=sheet))
        return checked
    bounds = tuple(shapely.total_bounds(np.array(present, dtype=object)))
    if source is None:
        source, checked.crs_how = guess_crs(bounds)  # type: ignore[arg-type]
        if source is None:
            checked.problems.append(err("setup.err.crs_missing", sheet=sheet,
                                        x=f"{bounds[0]:,.0f}", y=f"{bounds[1]:,.0f}"))
            return checked
        if checked.crs_how == "guessed":
            checked.problems.append(note("setup.note.crs_guessed", sheet=sheet, crs=f"{source.name} (EPSG:{source.to_epsg()})"))
    checked.crs_name = f"{source.name}" + (f" (EPSG:{source.to_epsg()})" if source.to_epsg() else "")
    if source.is_geographic and not (-180 <= bounds[0] <= 180 and -90 <= bounds[1] <= 90):
        checked.problems.append(err("setup.err.crs_mismatch", sheet=sheet, crs=checked.crs_name,
                                    x=f"{bounds[0]:,.0f}", y=f"{bounds[1]:,.0f}"))
        return checked
    try:
        wgs = to_wgs84(geoms, source)
    except Exception:  # PROJ refuses the pair (a vertical or engineering CRS, ...)
        checked.problems.append(err("setup.err.crs_unknown", value=checked.crs_name))
        return checked
    # 2. each feature: what it is, and whether it is a usable area
    for f, g in zip(layer.features, wgs):
        fm = FeatureMatch(f.index, _pick(f.properties, NAME_KEYS), digits_of(_pick(f.properties, CODE_KEYS)))
        fm.geometry = _area_of(fm, f, g, sheet, repair)
        checked.features.append(fm)
    # 3. which level, then match
    regions = list(session.scalars(select(m.Region).where(m.Region.path.startswith(county.path),
                                                          m.Region.retired_on.is_(None))))
    level = level or _guess_level(checked.features, regions, county)
    checked.level = level
    _match(checked, layer, regions, county, level)
    # 4. checks that need the match: outside its township, the county
    if level == "village":
        _check_inside_townships(checked, regions, sheet)
    _check_near_county(checked, county, regions, sheet, level)
    # 5. simplify the matched ones together; the county outline
    _simplify(checked, level)
    if level == "township":
        checked.county_outline = _county_outline(checked, regions)
    matched = {f.region_code for f in checked.features if f.status == MATCHED}
    checked.without = [(r.code, r.name_zh) for r in regions if r.level == level and r.code not in matched]
    if checked.without and matched:
        shown = "、".join(name for _, name in checked.without[:10])
        checked.problems.append(warn("setup.warn.regions_without", sheet=sheet, count=len(checked.without),
                                     names=shown, level_key=f"setup.level.{level}"))
    if not matched and not any(f.status == COUNTY for f in checked.features):
        checked.problems.append(err("setup.err.nothing_matched", sheet=sheet, level_key=f"setup.level.{level}"))
    for f in checked.features:
        checked.problems.extend(f.problems)
    checked.sort_problems()
    return checked


def _where(fm: FeatureMatch, sheet: str) -> dict[str, Any]:
    return dict(sheet=sheet, row=fm.index, value=fm.name or fm.code or f"#{fm.index + 1}")


def _area_of(fm: FeatureMatch, f: geofiles.Feature, g: BaseGeometry | None, sheet: str,
             repair: bool) -> BaseGeometry | None:
    """The feature's polygons in WGS84, or None with the reason in fm.problems."""
    if g is None or g.is_empty:
        key = "setup.err.no_geometry" if not f.geometry_type or f.geometry is None else "setup.err.not_area"
        fm.problems.append(err(key, kind=f.geometry_type or "—", **_where(fm, sheet)))
        return None
    polys = _polygonal(g)
    if polys is None:
        fm.problems.append(err("setup.err.not_area", kind=g.geom_type, **_where(fm, sheet)))
        return None
    west, south, east, north = polys.bounds
    if not (math.isfinite(west) and CHINA[0] <= west and east <= CHINA[2] and CHINA[1] <= south and north <= CHINA[3]):
        fm.problems.append(err("setup.err.outside_china", lon=f"{(west + east) / 2:.4f}", lat=f"{(south + north) / 2:.4f}",
                               **_where(fm, sheet)))
        return None
    if not polys.is_valid:
        reason = shapely.is_valid_reason(polys)
        at = re.search(r"\[\s*([-\d.eE+]+)\s+([-\d.eE+]+)", reason)
        lon, lat = (f"{float(at[1]):.5f}", f"{float(at[2]):.5f}") if at else ("—", "—")
        kind = "self_intersection" if "intersection" in reason.lower() else "invalid"
        if repair:
            fixed = _polygonal(shapely.make_valid(polys))
            if fixed is not None and fixed.is_valid and not fixed.is_empty:
                fm.problems.append(warn(f"setup.warn.repaired.{kind}", lon=lon, lat=lat, **_where(fm, sheet)))
                polys = fixed
            else:
                fm.problems.append(err(f"setup.err.{kind}", lon=lon, lat=lat, reason=reason, **_where(fm, sheet)))
                return None
        else:
            fm.problems.append(err(f"setup.err.{kind}", lon=lon, lat=lat, reason=reason, **_where(fm, sheet)))
            return None
    return polys


def _polygonal(g: BaseGeometry) -> BaseGeometry | None:
    """Only the areas of a geometry (a collection may carry stray lines or points)."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if g.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            return shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return None


def _feature_code(code: str, level: str) -> str:
    if len(code) == 12 and code.endswith("000") and level == "township":
        return code[:9]
    return code


def _guess_level(features: list[FeatureMatch], regions: list[m.Region], county: m.Region) -> str:
    towns = {r.code for r in regions if r.level == "township"}
    villages = {r.code for r in regions if r.level == "village"}
    by_code = {"township": 0, "village": 0}
    for f in features:
        if _feature_code(f.code, "township") in towns:
            by_code["township"] += 1
        elif f.code in villages:
            by_code["village"] += 1
    if by_code["township"] or by_code["village"]:
        return "township" if by_code["township"] >= by_code["village"] else "village"
    town_index = _NameIndex([r for r in regions if r.level == "township"])
    village_index = _NameIndex([r for r in regions if r.level == "village"])
    t_hits = sum(bool(town_index.find(f.name)) for f in features if f.name)
    v_hits = sum(bool(village_index.find(f.name)) for f in features if f.name)
    if v_hits > t_hits:
        return "village"
    if t_hits == 0 and v_hits == 0 and len(features) > 3 * max(1, len(towns)):
        return "village"  # many more features than townships: a village layer
    return "township"


def _match(checked: BoundariesChecked, layer: geofiles.Layer, regions: list[m.Region], county: m.Region,
           level: str) -> None:
    sheet = layer.name
    at_level = [r for r in regions if r.level == level]
    by_code = {r.code: r for r in at_level}
    towns = [r for r in regions if r.level == "township"]
    town_by_code = {r.code: r for r in towns}
    indexes: dict[str, _NameIndex] = {}

    def town_index() -> _NameIndex:  # built only when some feature has to be found by its name
        if "towns" not in indexes:
            indexes["towns"] = _NameIndex(towns)
        return indexes["towns"]

    def index() -> _NameIndex:
        if "level" not in indexes:
            indexes["level"] = _NameIndex(at_level)
        return indexes["level"]
    per_town: dict[int, _NameIndex] = {}
    town_shapes: dict[int, BaseGeometry | None] = {}

    def in_town(town: m.Region) -> _NameIndex:
        if town.id not in per_town:
            per_town[town.id] = _NameIndex([r for r in at_level if r.parent_id == town.id])
        return per_town[town.id]

    def where_is(point: BaseGeometry) -> list[m.Region]:
        if not town_shapes:
            town_shapes.update({t.id: _shape(t.boundary) for t in towns})
        return [t for t in towns if town_shapes.get(t.id) is not None and shapely.intersects(town_shapes[t.id], point)]

    props = {f.index: f.properties for f in layer.features}
    for fm in checked.features:
        code = _feature_code(fm.code, level)
        if code == county.code or (len(fm.code) == 12 and fm.code == county.code + "000000"):
            fm.status, fm.by, fm.region_code, fm.region_name = COUNTY, "code", county.code, county.name_zh
            continue
        region = by_code.get(code) if code else None
        if region is not None:
            fm.status, fm.by = MATCHED, "code"
        elif fm.name:
            found: list[m.Region] = []
            if level == "village":
                town = None
                town_text = _pick(props[fm.index], TOWNSHIP_KEYS)
                if town_text and town_text != fm.name:
                    hits = town_index().find(town_text)
                    town = hits[0] if len(hits) == 1 else None
                if town is None and len(code) >= 9 and code[:9] in town_by_code:
                    town = town_by_code[code[:9]]
                if town is None and fm.geometry is not None:
                    inside = where_is(fm.geometry.representative_point())
                    town = inside[0] if len(inside) == 1 else None
                found = in_town(town).find(fm.name) if town is not None else []
                if not found:
                    found = index().find(fm.name)
            else:
                found = index().find(fm.name)
            if len(found) == 1:
                region, fm.status, fm.by = found[0], MATCHED, "name"
            elif len(found) > 1:
                fm.status = AMBIGUOUS
                fm.candidates = [f"{r.name_zh}（{r.code}）" for r in found[:6]]
                fm.problems.append(err("setup.err.feature_ambiguous", candidates="、".join(fm.candidates),
                                       **_where(fm, sheet)))
        if region is not None:
            fm.region_code, fm.region_name = region.code, region.name_zh
        elif fm.status == UNMATCHED:
            fm.problems.append(warn("setup.warn.feature_unmatched", level_key=f"setup.level.{level}",
                                    code=fm.code or "—", **_where(fm, sheet)))
    # Several features for one place (an island, an exclave): one boundary in parts.
    groups: dict[str, list[FeatureMatch]] = {}
    for fm in checked.features:
        if fm.status == MATCHED:
            groups.setdefault(fm.region_code or "", []).append(fm)
    for code, parts in groups.items():
        if len(parts) > 1:
            shapes = [p.geometry for p in parts if p.geometry is not None]
            first = parts[0]
            first.geometry = shapely.union_all(shapes) if shapes else None
            for other in parts[1:]:
                other.geometry = None
                other.by = first.by
            first.problems.append(note("setup.note.parts_merged", count=len(parts), name=first.region_name,
                                       **_where(first, sheet)))


def _shape(geometry: dict | None) -> BaseGeometry | None:
    from data_access.geo import shape_of

    return shape_of(geometry)


def _check_inside_townships(checked: BoundariesChecked, regions: list[m.Region], sheet: str) -> None:
    """A village that lies (mostly) outside its township: a wrong match, a wrong CRS, or a mistake."""
    by_code = {r.code: r for r in regions}
    towns = {r.id: r for r in regions if r.level == "township"}
    items = [(fm, towns.get(by_code[fm.region_code].parent_id)) for fm in checked.features
             if fm.status == MATCHED and fm.geometry is not None and fm.region_code in by_code]
    items = [(fm, t) for fm, t in items if t is not None and t.boundary]
    if not items:
        return
    shapes = {t.id: _shape(t.boundary) for t in {t.id: t for _, t in items}.values()}
    villages = np.array([fm.geometry for fm, _ in items], dtype=object)
    parents = np.array([shapes[t.id] for _, t in items], dtype=object)
    inside = shapely.area(shapely.intersection(villages, parents)) / np.maximum(shapely.area(villages), 1e-18)
    for (fm, town), share in zip(items, inside):
        if share < INSIDE_ERROR:
            fm.problems.append(err("setup.err.outside_township", township=town.name_zh, share=percent(share, 0),
                                   **_where(fm, sheet)))
        elif share < INSIDE_WARN:
            fm.problems.append(warn("setup.warn.partly_outside_township", township=town.name_zh,
                                    share=percent(1 - share, 0), **_where(fm, sheet)))


def _check_near_county(checked: BoundariesChecked, county: m.Region, regions: list[m.Region], sheet: str,
                       level: str) -> None:
    """Features far from the county's outline (when it has one from before) are in the wrong place."""
    if level == "township" or not county.boundary:
        return
    outline = _shape(county.boundary)
    if outline is None:
        return
    reach = outline.buffer(0.05)  # ~5 km of slack: outlines from different sources do not coincide
    for fm in checked.features:
        if fm.status == MATCHED and fm.geometry is not None and not shapely.intersects(reach, fm.geometry):
            fm.problems.append(err("setup.err.far_from_county", county=county.name_zh, **_where(fm, sheet)))


def _simplify(checked: BoundariesChecked, level: str) -> None:
    matched = [fm for fm in checked.features if fm.status in (MATCHED, COUNTY) and fm.geometry is not None
               and not any(p.severity == "error" for p in fm.problems)]
    if not matched:
        return
    tolerance = SIMPLIFY[level]
    geoms = np.array([fm.geometry for fm in matched], dtype=object)
    try:
        # One coverage: an edge two townships share is simplified once, so no slivers open up.
        valid_coverage = bool(shapely.coverage_is_valid(geoms))
    except Exception:  # GEOS without coverage support: simplify one by one below
        valid_coverage = False
    simple = shapely.coverage_simplify(geoms, tolerance) if valid_coverage else \
        shapely.simplify(geoms, tolerance, preserve_topology=True)
    simple = shapely.set_precision(simple, 10 ** -DIGITS)
    for fm, g in zip(matched, simple):
        if g is not None and not g.is_empty and g.is_valid:
            fm.geometry = g


def _county_outline(checked: BoundariesChecked, regions: list[m.Region]) -> BaseGeometry | None:
    """The county's outline: its own feature if the file has one, else the union of its townships
    (those of this file and, for the rest, their stored boundaries)."""
    own = next((fm.geometry for fm in checked.features if fm.status == COUNTY and fm.geometry is not None), None)
    if own is not None:
        return own
    new = {fm.region_code: fm.geometry for fm in checked.features if fm.status == MATCHED and fm.geometry is not None}
    if not new:
        return None
    parts = list(new.values())
    for r in regions:
        if r.level == "township" and r.code not in new and r.boundary:
            shape = _shape(r.boundary)
            if shape is not None:
                parts.append(shape)
    outline = shapely.union_all(np.array(parts, dtype=object), grid_size=10 ** -DIGITS)
    return _polygonal(outline) if outline is not None else None


def check_boundaries(session: Session, actor: access.Actor | None, data: bytes, filename: str, *,
                     level: str | None = None, crs: str | None = None, repair: bool = False) -> BoundariesChecked:
    """Read a boundary file and check it against the county's regions; writes nothing."""
    access.require(actor, "reference.edit")
    layer = geofiles.read_untrusted_layer(data, filename)  # parsed in a sandbox child
    return check_layer(session, actor, layer, level=level, crs=crs, repair=repair, filename=filename,
                       sha=sha256(data))


# --- writing --------------------------------------------------------------------------------------

def geojson_of(g: BaseGeometry) -> dict[str, Any]:
    """A shapely geometry as the GeoJSON dict the regions table stores (lists, rounded to 10^-6)."""
    polygons = [g] if g.geom_type == "Polygon" else list(g.geoms)
    coordinates = [[np.round(shapely.get_coordinates(ring), DIGITS).tolist() for ring in (p.exterior, *p.interiors)]
                   for p in polygons]
    if g.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def label_point(g: BaseGeometry) -> tuple[float, float]:
    """Where the name goes: the centroid when it lies inside, else a point surely inside."""
    c = g.centroid
    if not g.contains(c):
        c = g.representative_point()
    return round(c.x, 5), round(c.y, 5)


def apply_boundaries(session: Session, actor: access.Actor | None, checked: BoundariesChecked,
                     county: m.Region | None = None) -> dict[str, int]:
    """Write the matched boundaries (and the county outline) in the caller's transaction; one audit row."""
    access.require(actor, "reference.edit")
    if not checked.ok:
        raise ValueError("refused file")
    county = county or current_county(session)
    assert county is not None and county.code == checked.county_code
    shapes = {fm.region_code: fm.geometry for fm in checked.features
              if fm.status == MATCHED and fm.geometry is not None}
    session.flush()
    ids = {code: rid for code, rid in session.execute(select(m.Region.code, m.Region.id)
                                                      .where(m.Region.path.startswith(county.path)))}
    changes = []
    for code, g in shapes.items():
        lon, lat = label_point(g)
        changes.append(dict(id=ids[code], boundary=geojson_of(g), centroid_lon=lon, centroid_lat=lat))
    if changes:  # one executemany by primary key, not an UPDATE per place
        session.execute(update(m.Region), changes)
    if checked.county_outline is not None:
        county.boundary = geojson_of(checked.county_outline)
        county.centroid_lon, county.centroid_lat = label_point(checked.county_outline)
    counts = checked.counts
    audit.record(session, actor, "setup.boundaries", "region", county.code,
                 after={"filename": checked.filename, "sha256": checked.sha256, "level": checked.level,
                        "crs": checked.crs_name, **counts}, detail=checked.filename[:255] or None)
    db.bump_data_version(session)
    session.flush()
    return counts


def load_boundaries(engine, actor: access.Actor | None, data: bytes, filename: str, *,  # noqa: ANN001
                    level: str | None = None, crs: str | None = None, repair: bool = False,
                    write: bool = True) -> BoundariesChecked:
    """Read, check and (when clean and asked) write: the command and the page."""
    with db.session_scope(engine) as s:
        checked = check_boundaries(s, actor, data, filename, level=level, crs=crs, repair=repair)
        if write and checked.ok:
            apply_boundaries(s, actor, checked)
    return checked
