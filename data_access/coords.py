"""Coordinates as people copy them from Chinese web maps, turned into WGS84 (what the map and the
boundaries use).

高德 (Amap) and 腾讯 (Tencent) maps show GCJ-02, the state-mandated obfuscated datum; 百度 (Baidu) adds
its own BD-09 offset on top. Both are 300-600 m off WGS84 in China -- enough to put a room in the
neighbouring village. GPS readings, 天地图 (CGCS2000, within centimetres of WGS84) and the county's
own survey data are WGS84 already. The conversions are prcoords' (the public-domain reference
implementation); GCJ-02 has no closed inverse, so the precise iterative one is used (~0.1 mm).
Outside China the offsets do not apply: coordinates there are returned unchanged.
"""
from __future__ import annotations

import prcoords

WGS84, GCJ02, BD09 = "wgs84", "gcj02", "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)


def in_china(lon: float, lat: float) -> bool:
    """The box in which GCJ-02 applies its offsets (prcoords' own test)."""
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """(lon, lat) in WGS84 from coordinates read on a map of the given system."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown coordinate system {system!r}")
    if system == WGS84 or not in_china(lon, lat):
        return lon, lat
    if system == GCJ02:
        out = prcoords.gcj_wgs_bored((lat, lon), False)
    else:
        out = prcoords.bd_wgs_bored((lat, lon), False)
    return out.lon, out.lat


def from_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """The other way: what a 高德/百度 map would show for a WGS84 position (tests, previews)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown coordinate system {system!r}")
    if system == WGS84 or not in_china(lon, lat):
        return lon, lat
    out = prcoords.wgs_gcj((lat, lon), False) if system == GCJ02 else prcoords.wgs_bd((lat, lon), False)
    return out.lon, out.lat


def shift_metres(lon: float, lat: float, system: str) -> float:
    """How far a point read on that map lies from its WGS84 position, in metres."""
    wlon, wlat = to_wgs84(lon, lat, system)
    return prcoords.Coords(lat, lon).distance(prcoords.Coords(wlat, wlon))
