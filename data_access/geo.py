"""What the coverage map draws, built from the database: region polygons coloured by an indicator,
service points by type, the data problems, and the pydeck Deck itself.

Fully offline: the base of the map is the region polygons themselves (no online basemap); the Deck is
built with map_provider=None and *no* map_style (map_style=None would make Streamlit fetch a Carto
style). An intranet tile server (MAP_TILE_URL) is drawn underneath only when one is configured.

Coverage figures come from data_access.indicators (indicator_values and its registry counters): this
module only colours them, it never counts rooms itself.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import shapely
import shapely.errors
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import coverage
from data_access import indicators as ix
from data_access import models as m
from data_access import suppression as sup
from data_access.catalogue import point_types
from i18n import name_of, t
from i18n.numbers import count_text, percent

# Geometry is rounded to 4 decimals (~11 m): finer than one screen pixel even at township zoom,
# and it keeps the county payload small. Douglas-Peucker drops vertices closer than TOLERANCE.
DIGITS = 4
TOLERANCE = 0.0004

# Service-point colours (RGB): saturated, with a white outline, so they stand out on the fills.
TYPE_COLOURS: dict[str, list[int]] = {
    "county_centre": [200, 30, 45],
    "township_station": [235, 120, 0],
    "village_room": [31, 95, 200],
    "social_work_room": [0, 160, 180],
    "school_room": [130, 60, 180],
    "hospital_clinic": [225, 40, 140],
    "police_room": [25, 40, 100],
    "petition_room": [130, 85, 35],
    "court_room": [80, 80, 80],
    "enterprise_station": [200, 160, 0],
    "grid_point": [0, 140, 255],
    "hotline": [0, 0, 0],
    "office_room": [90, 110, 40],
    "mediation_centre": [160, 20, 90],
    "family_education_point": [240, 90, 60],
}
# Types a county adds itself get a colour from this list (stable per code).
SPARE_COLOURS = [[70, 150, 70], [150, 100, 200], [210, 80, 80], [60, 120, 140], [180, 120, 60], [110, 110, 180]]
TYPE_RADIUS = {"county_centre": 9, "township_station": 7, "hotline": 6, "hospital_clinic": 6}
POINT_TYPES = tuple(TYPE_COLOURS)


def type_colour(sp_type: str) -> list[int]:
    """A type's colour on the map and in the legend; a county's own type gets a spare one."""
    if sp_type in TYPE_COLOURS:
        return TYPE_COLOURS[sp_type]
    return SPARE_COLOURS[sum(map(ord, sp_type)) % len(SPARE_COLOURS)]

# Point state as of the period end (the map shows the network as it stood then).
OPEN, PLANNED, RETIRED = "open", "planned", "retired"
POINT_STATES = (OPEN, PLANNED, RETIRED)

# Value bins for coverage shares: low coverage pale, full coverage dark green.
RAMP = [(0.2, [237, 248, 251]), (0.4, [178, 226, 226]), (0.6, [102, 194, 164]), (0.8, [44, 162, 95]),
        (1.01, [0, 109, 44])]
NO_DATA_FILL = [200, 205, 212, 90]
STATUS_FILL = {ix.MET: [26, 127, 55], ix.NEAR: [230, 170, 30], ix.BEHIND: [200, 45, 35],
               ix.NO_DATA: [200, 205, 212], ix.NO_TARGET: [200, 205, 212]}
HAS_ROOM_FILL = [102, 194, 164, 190]
NO_ROOM_FILL = [244, 165, 130, 210]
FILL_ALPHA = 190

# Above this many points in view, or above county level, points are drawn as one bubble per unit.
AGGREGATE_ABOVE = 5000
MAX_LABELS = 40

# Map colourings: every registry share rule in use (data_access.coverage) as its value; any ratio
# target indicator as its status.


# --- geometry -------------------------------------------------------------------------------------
# Shapely 2 (GEOS) does the geometry: Douglas-Peucker simplification and point-in-polygon. The
# boundaries are stored as GeoJSON dicts (JSON column); shape_of() turns one into a prepared shapely
# geometry once, so a loop over hundreds of points tests each against it in microseconds.

def simplify_ring(ring: Sequence[Sequence[float]], tolerance: float = TOLERANCE, digits: int = DIGITS) -> list[list[float]]:
    """A closed ring, simplified and rounded; never fewer than 4 positions (a closed triangle)."""
    pts = [[round(float(x), digits), round(float(y), digits)] for x, y, *_ in ring]
    deduped = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
    if len(deduped) < 4:
        return deduped
    # A LineString, not a LinearRing: its two ends (the ring's first vertex) stay where they are.
    line = shapely.simplify(shapely.linestrings(deduped), tolerance, preserve_topology=False)
    simple = [[float(x), float(y)] for x, y in shapely.get_coordinates(line).tolist()]
    if len(simple) < 4:  # a tiny polygon: keep it as it was rather than collapse it
        return deduped
    if simple[0] != simple[-1]:
        simple.append(simple[0])
    return simple


def polygons_of(geometry: dict[str, Any] | None) -> list[list[list[list[float]]]]:
    """GeoJSON Polygon/MultiPolygon -> list of polygons, each a list of rings."""
    if not geometry:
        return []
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords]
    if kind == "MultiPolygon":
        return list(coords)
    return []


def simplify_geometry(geometry: dict[str, Any] | None, tolerance: float = TOLERANCE,
                      digits: int = DIGITS) -> list[list[list[list[float]]]]:
    """Polygons (list of rings) ready to draw; rings that collapse below a triangle are dropped."""
    out = []
    for polygon in polygons_of(geometry):
        rings = [simplify_ring(r, tolerance, digits) for r in polygon]
        rings = [r for r in rings if len(r) >= 4]
        if rings:
            out.append(rings)
    return out


def shape_of(geometry: dict[str, Any] | None) -> BaseGeometry | None:
    """A GeoJSON Polygon/MultiPolygon as a prepared shapely geometry (None when there is none)."""
    if not polygons_of(geometry):
        return None
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return None  # a stored outline that is not a polygon: treated as no outline
    shapely.prepare(shape)
    return shape


def covers_point(shape: BaseGeometry | None, lon: float, lat: float) -> bool:
    """The point lies in the shape or on its edge (a point on the line between two townships is in
    both: it must not be flagged as outside either). Holes are respected."""
    return shape is not None and bool(shapely.intersects_xy(shape, lon, lat))


def point_in_geometry(lon: float, lat: float, geometry: dict[str, Any] | None) -> bool:
    """One point against a GeoJSON Polygon/MultiPolygon (holes respected). For many points, build
    the shape once with shape_of() and call covers_point()."""
    return covers_point(shape_of(geometry), lon, lat)


def bbox(geometries: Iterable[dict[str, Any] | None]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) over the outer rings of the geometries."""
    xs: list[float] = []
    ys: list[float] = []
    for g in geometries:
        for polygon in polygons_of(g):
            for x, y, *_ in polygon[0]:
                xs.append(float(x))
                ys.append(float(y))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def view_for(box: tuple[float, float, float, float] | None, width: int = 600, height: int = 600) -> dict[str, float]:
    """Centre and zoom that fit the box in a width x height pixel map (deck.gl zoom: 512-pixel world at 0)."""
    if box is None:
        return dict(longitude=104.5, latitude=30.3, zoom=8)
    west, south, east, north = box
    lon_span = max(east - west, 1e-4)
    lat_mid = (south + north) / 2
    # Mercator stretches latitude by 1/cos(lat): correct the vertical span for it.
    lat_span = max((north - south) / math.cos(math.radians(lat_mid)), 1e-4)
    zoom = min(math.log2(width * 360 / (512 * lon_span)), math.log2(height * 360 / (512 * lat_span)))
    return dict(longitude=round((west + east) / 2, 5), latitude=round(lat_mid, 5), zoom=round(zoom - 0.1, 2))


# --- what to colour by --------------------------------------------------------------------------

@dataclass(frozen=True)
class Colouring:
    code: str            # a share rule's indicator code (its value) or "status:<indicator code>"
    indicator: str       # the indicator code
    by_status: bool


def colourings(session: Session) -> list[Colouring]:
    """The choices of the map's colour selector: the catalogue's registry share rules (coverage), then
    the status of every ratio target indicator that exists below county level."""
    out = [Colouring(ind.code, ind.code, False) for ind in coverage.share_indicators(session)]
    for ind in ix.indicator_catalogue(session, targets_only=True):
        if ind.kind == "ratio" and ind.level != "county":
            out.append(Colouring(f"status:{ind.code}", ind.code, True))
    return out


def parse_colouring(code: str | None, session: Session | None = None) -> Colouring:
    """A colouring from its code. With a session, a code that is no colouring in use (a retired rule,
    a stale link) falls back to the first one the catalogue offers."""
    if code and code.startswith("status:"):
        return Colouring(code, code.split(":", 1)[1], True)
    if session is None:
        return Colouring(code or "", code or "", False)
    choices = colourings(session)
    chosen = next((c for c in choices if c.code == code), None)
    if chosen is None and choices:
        chosen = choices[0]
    return chosen or Colouring(code or "", code or "", False)


def ramp_colour(value: float | None) -> list[int]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA_FILL
    for upper, rgb in RAMP:
        if value < upper:
            return rgb + [FILL_ALPHA]
    return RAMP[-1][1] + [FILL_ALPHA]


def status_colour(status: str) -> list[int]:
    alpha = 90 if status in (ix.NO_DATA, ix.NO_TARGET) else 170
    return STATUS_FILL.get(status, STATUS_FILL[ix.NO_DATA]) + [alpha]


def _number(x: object) -> float | None:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{percent(value)}%"


# --- the payload ----------------------------------------------------------------------------------

@dataclass
class MapData:
    """Everything the map page draws, as plain data (cacheable, JSON-able)."""

    area: dict[str, Any]
    period: str
    colouring: str
    scale: str                                        # "county" (every point) or "province" (aggregated)
    shade_level: str                                  # level whose polygons carry the colour
    fills: list[dict[str, Any]] = field(default_factory=list)       # polygons coloured by the indicator
    outlines: list[dict[str, Any]] = field(default_factory=list)    # bold outlines above the fills
    points: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # type -> rows
    bubbles: list[dict[str, Any]] = field(default_factory=list)     # province scale: one per unit
    legend: list[dict[str, Any]] = field(default_factory=list)      # [{label, colour}]
    view: dict[str, float] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)       # townships (or counties) with bbox
    labels: list[dict[str, Any]] = field(default_factory=list)      # township (or county) names
    box: tuple[float, float, float, float] | None = None             # what the opening view shows
    point_count: int = 0


def point_state(opened_on: dt.date | None, retired_on: dt.date | None, end: dt.date) -> str:
    """open / planned / retired at the end of the period."""
    if retired_on is not None and retired_on <= end:
        return RETIRED
    if opened_on is None or opened_on > end:
        return PLANNED
    return OPEN


def tile_url(session: Session | None = None) -> str | None:
    """MAP_TILE_URL from the environment, else the 'map_tile_url' setting; None means no tiles."""
    url = (os.environ.get("MAP_TILE_URL") or "").strip()
    if not url and session is not None:
        row = session.get(m.Setting, "map_tile_url")
        url = str(row.value).strip() if row and row.value else ""
    return url or None


def _legend(colouring: Colouring, lang: str, target: ix.TargetInfo | None, village_shade: bool,
            public: bool = False, points: str = "") -> list[dict]:
    if village_shade:
        # A share rule names its point types; a figure reported per village says above 0 or not.
        if points:
            return [dict(label=t("map.legend.has_point", lang, types=points), colour=HAS_ROOM_FILL),
                    dict(label=t("map.legend.no_point", lang, types=points), colour=NO_ROOM_FILL)]
        return [dict(label=t("map.legend.has_value", lang), colour=HAS_ROOM_FILL),
                dict(label=t("map.legend.no_value", lang), colour=NO_ROOM_FILL)]
    if colouring.by_status:
        out = []
        for status in (ix.MET, ix.NEAR, ix.BEHIND, ix.NO_DATA):
            label = t({ix.MET: "status.met", ix.NEAR: "status.near", ix.BEHIND: "status.behind",
                       ix.NO_DATA: "map.legend.unknown_or_hidden" if public else "status.unknown"}[status], lang)
            if target is not None and status in (ix.MET, ix.NEAR, ix.BEHIND):
                met_from, near_from = ix.status_thresholds(target, "ratio")
                bound = {ix.MET: f"≥ {percent(met_from, 0)}%",
                         ix.NEAR: f"{percent(near_from, 0)}%–{percent(met_from, 0)}%",
                         ix.BEHIND: f"< {percent(near_from, 0)}%"}[status]
                label = f"{label}（{bound}）" if lang == "zh" else f"{label} ({bound})"
            out.append(dict(label=label, colour=status_colour(status)))
        return out
    out, lower = [], 0.0
    for upper, rgb in RAMP:
        top = min(upper, 1.0)
        out.append(dict(label=f"{percent(lower, 0)}%–{percent(top, 0)}%", colour=rgb + [FILL_ALPHA]))
        lower = upper
    out.append(dict(label=t("map.legend.no_data_or_hidden" if public else "common.no_data", lang),
                    colour=NO_DATA_FILL))
    return out


def _values(session: Session, period: m.Period, regions: Sequence[m.Region], code: str,
            parent: m.Region | None = None, public: bool = False) -> dict[int, Any]:
    """region id -> row of indicator_values (the one place coverage is computed). public: the rows
    after small-count suppression (data_access.suppression.public_values, the call the meeting
    briefing makes too): a hidden number is NaN and its *_flag column says so."""
    if not regions:
        return {}
    if public:
        frame, _ = sup.public_values(session, [period], regions, parent, [code])
    else:
        frame = ix.indicator_values(session, [period], regions, [code])
    return {int(r.region_id): r for r in frame.itertuples(index=False)}


def _flag(row: Any, column: str) -> str | None:
    """The suppression flag of a row's figure (None for raw rows, which carry no flags)."""
    value = getattr(row, f"{column}_flag", None) if row is not None else None
    return value if isinstance(value, str) else None


def _region_tip(region: m.Region, row: Any, value: float | None, ind_name: str, lang: str) -> str:
    """A township's (or county's) tooltip: its figure, numerator and denominator, each "*" when the
    public view hides it."""
    mark = t("suppression.hidden", lang)
    return t("map.tip.township", lang, name=name_of(region, lang), indicator=ind_name,
             value=mark if _flag(row, "value") else _pct(value),
             numerator=mark if _flag(row, "numerator") else _fmt_count(row.numerator if row is not None else None),
             denominator=mark if _flag(row, "denominator") else _fmt_count(row.denominator if row is not None else None))


def _fill_row(region: m.Region, rings: list, fill: list[int], tip: str, level: str) -> dict[str, Any]:
    return dict(p=rings, f=fill, tip=tip, code=region.code, level=level)


def build_map(session: Session, period: m.Period, colouring_code: str | None = None, lang: str = "zh",
              area_code: str | None = None, township_code: str | None = None,
              types: Iterable[str] | None = None, states: Iterable[str] | None = (OPEN,),
              shade: str | None = None, aggregate_above: int = AGGREGATE_ABOVE, public: bool = False) -> MapData:
    """The map of an area (the deployment root by default) for a period.

    County (or township) area: township and village polygons, every service point, data problems.
    Province or city area: county polygons and one bubble per county (points aggregated), because
    tens of thousands of points neither fit a browser payload nor read on a screen.
    township_code narrows points and the view to one township (the selector "zooms" to it).
    shade: "village" or "township" for village-level indicators (room coverage); default village.
    public: the meeting-screen view (data_access.suppression.shows_raw is False for the viewer): every
    figure of a reported indicator goes through small-count suppression, the same cells hidden as in
    the briefing; a hidden township's tooltip shows "*" and its fill the no-data colour (a status
    colour would give the hidden value away). Registry coverage counts public places and stays.
    """
    colouring = parse_colouring(colouring_code, session)
    area = ix.region_by_code(session, area_code) if area_code else ix.root_region(session)
    if area is None:
        area = ix.root_region(session)
    if area is None:
        return MapData(area={}, period=period.code, colouring=colouring.code, scale="county", shade_level="township")
    catalogue = {i.code: i for i in ix.indicator_catalogue(session)}
    indicator = catalogue.get(colouring.indicator)
    target = ix.targets_in_force(session, period.end_date).get(colouring.indicator)
    labels = point_types.type_labels(session, lang)
    wanted_types = list(types or labels)
    wanted_states = set(states or POINT_STATES)
    ind_name = name_of(indicator, lang) if indicator else colouring.indicator
    points = coverage.point_words(session, indicator, lang) if indicator and coverage.is_share(indicator) else ""
    county_scale = area.level in ("county", "township", "village")

    if county_scale:
        county = area
        while county.level not in ("county",) and county.parent is not None:
            county = county.parent  # a township area still checks points against its county outline
        townships = ix.regions_at(session, county.code, "township")
        villages = ix.regions_at(session, county.code, "village")
        village_level = bool(indicator and indicator.level == "village")
        if public and indicator is not None and indicator.source not in sup.EXEMPT_SOURCES:
            village_level = False  # a village's "has / has not" of a reported figure is a small count
        shade_level = "village" if village_level and shade != "township" else "township"
        data = MapData(area=_area_dict(area), period=period.code, colouring=colouring.code, scale="county",
                       shade_level=shade_level)
        t_values = _values(session, period, townships, colouring.indicator, county, public)
        v_values = _values(session, period, villages, colouring.indicator) if shade_level == "village" else {}
        t_by_id = {tw.id: tw for tw in townships}
        # Villages first (below), then townships: the township outlines stay visible on top.
        for v in villages:
            rings_list = simplify_geometry(v.boundary)
            tw = t_by_id.get(v.parent_id or -1)
            row = v_values.get(v.id)
            if shade_level == "village":
                has = row is not None and (_number(row.numerator) or 0) > 0
                fill = HAS_ROOM_FILL if has else NO_ROOM_FILL
                state = (t("map.legend.has_point" if has else "map.legend.no_point", lang, types=points) if points
                         else t("map.legend.has_value" if has else "map.legend.no_value", lang))
                tip = t("map.tip.village_room", lang, name=name_of(v, lang),
                        township=name_of(tw, lang) if tw else "", state=state,
                        population=f"{v.population or 0:,}")
            else:
                fill = [255, 255, 255, 0]
                tip = t("map.tip.village", lang, name=name_of(v, lang), township=name_of(tw, lang) if tw else "",
                        population=f"{v.population or 0:,}")
            for rings in rings_list:
                data.fills.append(_fill_row(v, rings, fill, tip, "village"))
        for tw in townships:
            row = t_values.get(tw.id)
            value = _number(row.value) if row is not None else None
            if colouring.by_status:
                status = ix.classify(value, target, indicator.kind if indicator else "ratio",
                                     indicator.higher_is_better if indicator else True)
                fill = status_colour(status)
            else:
                fill = ramp_colour(value)
            tip = _region_tip(tw, row, value, ind_name, lang)
            for rings in simplify_geometry(tw.boundary):
                if shade_level == "township":
                    data.fills.append(_fill_row(tw, rings, fill, tip, "township"))
                data.outlines.append(dict(p=rings))
            data.units.append(dict(code=tw.code, name_zh=tw.name_zh, name_en=tw.name_en,
                                   bbox=bbox([tw.boundary])))
            _label(data, tw, lang)
        _county_points(session, data, county, townships, villages, period, lang, wanted_types, wanted_states,
                       township_code, aggregate_above)
        focus = next((tw for tw in townships if tw.code == township_code), None)
        box = bbox([focus.boundary]) if focus else bbox([county.boundary]) or bbox(tw.boundary for tw in townships)
        data.view, data.box = view_for(box), box
    else:
        counties = ix.regions_at(session, area.code, "county")
        data = MapData(area=_area_dict(area), period=period.code, colouring=colouring.code, scale="province",
                       shade_level="county")
        c_values = _values(session, period, counties, colouring.indicator, area, public)
        for c in counties:
            row = c_values.get(c.id)
            value = _number(row.value) if row is not None else None
            if colouring.by_status:
                fill = status_colour(ix.classify(value, target, "ratio",
                                                 indicator.higher_is_better if indicator else True))
            else:
                fill = ramp_colour(value)
            tip = _region_tip(c, row, value, ind_name, lang)
            for rings in simplify_geometry(c.boundary):
                data.fills.append(_fill_row(c, rings, fill, tip, "county"))
                data.outlines.append(dict(p=rings))
            data.units.append(dict(code=c.code, name_zh=c.name_zh, name_en=c.name_en, bbox=bbox([c.boundary])))
            _label(data, c, lang)
        _province_points(session, data, area, counties, period, lang, wanted_types, wanted_states)
        data.box = bbox(c.boundary for c in counties)
        data.view = view_for(data.box)
    data.legend = _legend(colouring, lang, target, data.shade_level == "village", public, points)
    return data


LABEL_SUFFIXES = (" Township", " Town", " Subdistrict", " County")


def short_name(region: m.Region, lang: str) -> str:
    """A map label: English names lose their kind ("Beishan Township" -> "Beishan") so labels fit."""
    text = name_of(region, lang)
    if lang == "en":
        text = text.replace("Economic Development Zone", "EDZ")
        for suffix in LABEL_SUFFIXES:
            if text.endswith(suffix):
                return text[: -len(suffix)]
    return text


def _label(data: MapData, region: m.Region, lang: str) -> None:
    if region.centroid_lon is not None and region.centroid_lat is not None:
        data.labels.append(dict(lon=round(region.centroid_lon, 4), lat=round(region.centroid_lat, 4),
                                t=short_name(region, lang)))


def _fmt_count(x: object) -> str:
    n = _number(x)
    return "—" if n is None else count_text(n)


def _area_dict(area: m.Region) -> dict[str, Any]:
    return dict(code=area.code, name_zh=area.name_zh, name_en=area.name_en, level=area.level)


def _township_of(region_id: int, parents: dict[int, int | None], townships: dict[int, m.Region]) -> m.Region | None:
    rid: int | None = region_id
    while rid is not None and rid not in townships:
        rid = parents.get(rid)
    return townships.get(rid) if rid is not None else None


def _county_points(session: Session, data: MapData, county: m.Region, townships: list[m.Region],
                   villages: list[m.Region], period: m.Period, lang: str, types: list[str], states: set[str],
                   township_code: str | None, aggregate_above: int) -> None:
    labels = point_types.type_labels(session, lang)
    t_by_id = {tw.id: tw for tw in townships}
    parents = {v.id: v.parent_id for v in villages}
    names = {r.id: r for r in [*townships, *villages]}
    rows = session.scalars(
        select(m.ServicePoint).join(m.Region, m.Region.id == m.ServicePoint.region_id)
        .where(m.Region.path.startswith(county.path)).order_by(m.ServicePoint.code)).all()
    drawn = []
    county_shape = shape_of(county.boundary)
    township_shapes = {tw.id: shape_of(tw.boundary) for tw in townships}
    for sp in rows:
        tw = _township_of(sp.region_id, parents, t_by_id)
        state = point_state(sp.opened_on, sp.retired_on, period.end_date)
        where = names.get(sp.region_id)
        problem = None
        if sp.lon is None or sp.lat is None:
            problem = "no_coordinates"
        elif county_shape is not None and not covers_point(county_shape, sp.lon, sp.lat):
            # (No outline yet -- a county still being set up -- cannot say a point is outside it.)
            problem = "outside_county"
        elif tw is not None and township_shapes.get(tw.id) is not None \
                and not covers_point(township_shapes[tw.id], sp.lon, sp.lat):
            problem = "outside_township"
        if problem and state != RETIRED:  # a retired point's old coordinates are no longer a problem
            data.problems.append(dict(
                code=sp.code, name=name_of(sp, lang), type=sp.type, type_label=labels.get(sp.type, sp.type),
                township=name_of(tw, lang) if tw else "", lon=sp.lon, lat=sp.lat, problem=problem,
                problem_label=t(f"map.problem.{problem}", lang)))
        if problem in ("no_coordinates", "outside_county"):
            continue  # never drawn at (0, 0) or off in another province
        if sp.type not in types or state not in states:
            continue
        if township_code and (tw is None or tw.code != township_code):
            continue
        drawn.append((sp, tw, where, state))
    data.point_count = len(drawn)
    if len(drawn) > aggregate_above:
        _bubbles(data, [(sp, tw) for sp, tw, _, _ in drawn], lang, labels)
        return
    for sp, tw, where, state in drawn:
        opened = sp.opened_on.isoformat() if sp.opened_on else "—"
        place = name_of(tw, lang) if tw else ""
        if where is not None and where.level == "village":
            place = f"{place} · {name_of(where, lang)}"
        tip = t("map.tip.point", lang, name=name_of(sp, lang), type=labels.get(sp.type, sp.type), township=place,
                opened=opened, full=sp.staff_full or 0, part=sp.staff_part or 0,
                state=t(f"map.state.{state}", lang))
        data.points.setdefault(sp.type, []).append(dict(lon=round(sp.lon, 5), lat=round(sp.lat, 5), tip=tip,
                                                        code=sp.code))


def _bubbles(data: MapData, items: list[tuple[m.ServicePoint, m.Region | None]], lang: str,
             labels: dict[str, str] | None = None) -> None:
    """One circle per township holding the count of points by type (county data too big to draw)."""
    groups: dict[str, dict[str, Any]] = {}
    for sp, tw in items:
        if tw is None:
            continue
        g = groups.setdefault(tw.code, dict(unit=tw, counts={}))
        g["counts"][sp.type] = g["counts"].get(sp.type, 0) + 1
    largest = max((sum(g["counts"].values()) for g in groups.values()), default=1)
    for g in groups.values():
        _add_bubble(data, g["unit"], g["counts"], lang, largest, labels)


def _add_bubble(data: MapData, unit: m.Region, counts: dict[str, int], lang: str, largest: int,
                labels: dict[str, str] | None = None) -> None:
    if unit.centroid_lon is None or unit.centroid_lat is None:
        return
    total = sum(counts.values())
    labels = labels or {}
    order = list(labels)
    lines = "\n".join(f"{labels.get(tp, tp)}: {n}" for tp, n in
                      sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    data.bubbles.append(dict(lon=round(unit.centroid_lon, 4), lat=round(unit.centroid_lat, 4), n=total,
                             # Area proportional to the count; the largest unit 18 px across.
                             r=round(3 + 15 * math.sqrt(total / max(largest, 1)), 1),
                             tip=t("map.tip.bubble", lang, name=name_of(unit, lang), total=total) + "\n" + lines))


def _province_points(session: Session, data: MapData, area: m.Region, counties: list[m.Region], period: m.Period,
                     lang: str, types: list[str], states: set[str]) -> None:
    """Counts per county and type, and the data problems, without sending any point to the browser."""
    labels = point_types.type_labels(session, lang)
    county_by_path = sorted(((c.path, c) for c in counties), key=lambda pc: -len(pc[0]))
    rows = session.execute(
        select(m.ServicePoint.code, m.ServicePoint.name_zh, m.ServicePoint.name_en, m.ServicePoint.type,
               m.ServicePoint.lon, m.ServicePoint.lat, m.ServicePoint.opened_on, m.ServicePoint.retired_on,
               m.Region.path)
        .join(m.Region, m.Region.id == m.ServicePoint.region_id)
        .where(m.Region.path.startswith(area.path))).all()
    counts: dict[int, dict[str, int]] = {}
    shapes = {c.id: shape_of(c.boundary) for c in counties}
    for code, name_zh, name_en, sp_type, lon, lat, opened, retired, path in rows:
        county = next((c for p, c in county_by_path if path.startswith(p)), None)
        if county is None:
            continue
        state = point_state(opened, retired, period.end_date)
        problem = None
        if lon is None or lat is None:
            problem = "no_coordinates"
        elif shapes.get(county.id) is not None and not covers_point(shapes[county.id], lon, lat):
            problem = "outside_county"
        if problem and state != RETIRED:
            data.problems.append(dict(code=code, name=name_of(dict(name_zh=name_zh, name_en=name_en), lang),
                                      type=sp_type, type_label=labels.get(sp_type, sp_type),
                                      township=name_of(county, lang), lon=lon, lat=lat, problem=problem,
                                      problem_label=t(f"map.problem.{problem}", lang)))
            continue
        if sp_type in types and state in states:
            per = counts.setdefault(county.id, {})
            per[sp_type] = per.get(sp_type, 0) + 1
    data.point_count = sum(sum(c.values()) for c in counts.values())
    largest = max((sum(c.values()) for c in counts.values()), default=1)
    for c in counties:
        if c.id in counts:
            _add_bubble(data, c, counts[c.id], lang, largest, labels)
    if len(data.labels) > MAX_LABELS:
        data.labels = []  # a hundred county names overlap; each county's tooltip names it


# --- the Deck -----------------------------------------------------------------------------------

def deck(data: MapData, tile: str | None = None, height: int = 620,
         fit: tuple[int, int] | None = None):  # noqa: ANN201 (pydeck.Deck)
    """The pydeck Deck for a MapData. No basemap (map_provider=None, no map_style): nothing external.
    fit: (width, height) in pixels to open on instead of the usual view (a phone's narrow map)."""
    import pydeck as pdk
    from pydeck.types import String

    if fit is not None and data.box is not None:
        height = fit[1]
        view = pdk.ViewState(**view_for(data.box, *fit))
    elif data.view:
        view = pdk.ViewState(**data.view)
    else:
        view = pdk.ViewState(longitude=104.5, latitude=30.3, zoom=8)
    # Point sizes are metres at the opening zoom, clamped in pixels. radius_units="pixels" would be
    # simpler, but in this deck.gl build (software WebGL at least) it draws every circle canvas-wide.
    mpp = meters_per_pixel(view.latitude, view.zoom)
    layers = []
    if tile:
        layers.extend(tile_layers(tile, data.box, view.zoom))
    if data.fills:
        layers.append(pdk.Layer(
            "PolygonLayer", id="fills", data=data.fills, get_polygon="p", get_fill_color="f",
            get_line_color=[120, 130, 140, 200], line_width_min_pixels=0.6, stroked=True, filled=True,
            pickable=True, auto_highlight=True, highlight_color=[255, 255, 255, 70]))
    if data.outlines:
        layers.append(pdk.Layer(
            "PolygonLayer", id="outlines", data=data.outlines, get_polygon="p", filled=False, stroked=True,
            get_line_color=[40, 50, 60, 230], line_width_min_pixels=2, pickable=False))
    known = {tp: i for i, tp in enumerate(POINT_TYPES)}
    for sp_type in sorted(data.points, key=lambda tp: (known.get(tp, len(known)), tp)):
        rows = data.points.get(sp_type)
        if not rows:
            continue
        px = TYPE_RADIUS.get(sp_type, 5)
        layers.append(pdk.Layer(
            "ScatterplotLayer", id=f"points-{sp_type}", data=rows, get_position=["lon", "lat"],
            get_fill_color=type_colour(sp_type), get_line_color=[255, 255, 255], stroked=True,
            line_width_min_pixels=1.5, get_radius=round(px * mpp, 1), radius_min_pixels=px,
            radius_max_pixels=2 * px, pickable=True, auto_highlight=True))
    if data.bubbles:
        layers.append(pdk.Layer(
            "ScatterplotLayer", id="bubbles", data=data.bubbles, get_position=["lon", "lat"],
            get_fill_color=[31, 95, 168, 200], get_line_color=[255, 255, 255], stroked=True,
            line_width_min_pixels=1.5, get_radius="r", radius_scale=round(mpp, 2), radius_min_pixels=4,
            radius_max_pixels=60, pickable=True))
    if data.labels:
        # Region names drawn by deck.gl from the page's own fonts (the app serves Noto Sans SC): no
        # font request leaves the server. On top but not pickable: a label never takes a point's tooltip.
        layers.append(pdk.Layer(
            "TextLayer", id="labels", data=data.labels, get_position=["lon", "lat"], get_text="t", get_size=14,
            get_pixel_offset=[0, -16],
            get_color=[25, 35, 45, 235],
            # pydeck reads a bare string as a JS expression; types.String passes it literally.
            character_set=String("auto"),
            font_family=String("NotoSansSC, 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"),
            font_weight=600, font_settings={"sdf": True}, outline_width=3, outline_color=[255, 255, 255, 220],
            pickable=False))
    # Text tooltips (innerText): names typed into the registry are never interpreted as HTML.
    tooltip = {"text": "{tip}", "style": {"backgroundColor": "#1f2933", "color": "white", "fontSize": "13px",
                                         "whiteSpace": "pre-line"}}
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip, height=height)


_DECK_JSON: "weakref.WeakKeyDictionary[object, str]" = weakref.WeakKeyDictionary()


def _compact_deck_class():  # noqa: ANN202
    import pydeck as pdk
    from pydeck.bindings.json_tools import default_serialize

    class _CompactDeck(pdk.Deck):
        """pydeck serialises with indent=2 and \\u escapes; st.pydeck_chart sends to_json() as it is.
        Compact separators and real UTF-8 cut the county payload by more than half."""

        def to_json(self) -> str:
            # Serialised once: a cached Deck (ui.data_map.map_view) is shared by every session. Kept
            # beside the object, not in it: pydeck serialises every attribute it finds.
            cached = _DECK_JSON.get(self)
            if cached is None:
                cached = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                                    ensure_ascii=False)
                _DECK_JSON[self] = cached
            return cached

    return _CompactDeck


def CompactDeck(**kwargs):  # noqa: ANN003, ANN201, N802 - pydeck is imported lazily
    return _compact_deck_class()(**kwargs)


def meters_per_pixel(latitude: float, zoom: float) -> float:
    """Ground size of one screen pixel at that latitude and deck.gl zoom (512-pixel world at zoom 0)."""
    return 78271.51696 * math.cos(math.radians(latitude)) / (2 ** zoom)


MAX_TILES = 48


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    lat = max(-85.05112878, min(85.05112878, lat))
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return max(0, min(n - 1, x)), max(0, min(n - 1, y))


def _tile_bounds(x: int, y: int, z: int) -> list[float]:
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return [round(x / n * 360.0 - 180.0, 7), round(lat(y + 1), 7), round((x + 1) / n * 360.0 - 180.0, 7),
            round(lat(y), 7)]


def tile_layers(url: str, box: tuple[float, float, float, float] | None, zoom: float) -> list:
    """An intranet raster tile server underneath the polygons, as one BitmapLayer per tile.

    deck.gl's TileLayer needs a renderSubLayers *function* to draw image tiles (by default it parses
    tiles as GeoJSON), and the JSON bridge of st.pydeck_chart cannot carry a function; TerrainLayer
    would need a loaders.gl worker fetched from a CDN. So the tiles covering the area at (one level
    finer than) the opening zoom are listed here, each drawn by a BitmapLayer with its own bounds.
    URL placeholders: {z} {x} {y}.
    """
    import pydeck as pdk
    from pydeck.types import String

    if box is None:
        return []
    west, south, east, north = box
    pad_x, pad_y = (east - west) * 0.15, (north - south) * 0.15
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    z = max(0, min(19, math.ceil(zoom) + 1))
    while True:
        x0, y0 = _tile_xy(west, north, z)
        x1, y1 = _tile_xy(east, south, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES or z == 0:
            break
        z -= 1
    layers = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            address = url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            layers.append(pdk.Layer("BitmapLayer", id=f"tile-{z}-{x}-{y}", image=String(address),
                                    bounds=_tile_bounds(x, y, z), pickable=False))
    return layers


def payload_bytes(deck_obj) -> int:  # noqa: ANN001
    """Size of the JSON that st.pydeck_chart sends to the browser."""
    return len(deck_obj.to_json().encode("utf-8"))


def data_json_bytes(data: MapData) -> int:
    """Size of the map's own data (polygons, points, bubbles) as compact JSON."""
    return len(json.dumps(dict(f=data.fills, o=data.outlines, p=data.points, b=data.bubbles, t=data.labels),
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
