"""Step 3: boundaries from a zipped GBK Shapefile in Gauss-Krueger zone 39, GeoJSON and KML; matched
by code or name, reprojected, checked and simplified; nothing written before the file is clean."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapely
import shapely.geometry
from pyproj import Transformer
from sqlalchemy import Engine, select

import setup_county as sc
from data_access import geo
from data_access import models as m
from data_access.access import Actor
from data_access.db import session_scope
from data_access.setup import boundaries as bd
from data_access.setup import geofiles

ADMIN = Actor(None, "admin", "admin")


def stored(engine: Engine) -> dict[str, m.Region]:
    with session_scope(engine) as s:
        return {r.code: r for r in s.scalars(select(m.Region))}


def check(engine: Engine, data: bytes, name: str, **kw) -> bd.BoundariesChecked:  # noqa: ANN003
    with session_scope(engine) as s:
        return bd.check_boundaries(s, ADMIN, data, name, **kw)


def test_gbk_shapefile_in_gauss_krueger_zone_39_lands_where_the_townships_are(new_county: Engine) -> None:
    data = sc.shapefile_zip("township")
    preview = check(new_county, data, "乡镇界.zip")
    assert preview.ok and preview.level == "township" and preview.crs_how == "file"
    assert "zone 39" in preview.crs_name and "4527" in preview.crs_name
    # The attribute text came through as Chinese (GBK + .cpg), and each feature matched by its 9-digit code.
    assert [(f.name, f.status, f.by, f.region_code) for f in preview.features] == [
        (t.official, "matched", "code", t.code) for t in sc.townships()]
    assert all(f.area_km2 and 110 < f.area_km2 < 140 for f in preview.features)   # ~11 km x 11 km
    assert all(r.boundary is None for r in stored(new_county).values())                 # a preview writes nothing
    assert bd.load_boundaries(new_county, ADMIN, data, "乡镇界.zip").ok
    found = stored(new_county)
    for t in sc.townships():
        shape = shapely.geometry.shape(found[t.code].boundary)
        w, s, e, n = t.box
        assert shape.bounds == pytest.approx((w, s, e, n), abs=2e-5)    # reprojected back to WGS84: metres
        assert shape.is_valid and geo.point_in_geometry(*t.centre, found[t.code].boundary)
        assert (found[t.code].centroid_lon, found[t.code].centroid_lat) == pytest.approx(t.centre, abs=1e-4)
        # Simplified for the map: the straight edges' extra vertices are gone.
        assert len(found[t.code].boundary["coordinates"][0]) == 5
    outline = shapely.geometry.shape(found[sc.CODE].boundary)
    assert outline.bounds == pytest.approx((sc.WEST, sc.SOUTH, sc.WEST + 2 * sc.T_W, sc.SOUTH + 2 * sc.T_H), abs=2e-5)
    assert outline.geom_type == "Polygon"   # the townships' union, no slivers between them
    with session_scope(new_county) as s:
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "setup.boundaries"))
        assert entry.after["regions"] == 4 and entry.after["level"] == "township"


def test_village_layer_without_prj_or_cpg_is_read_by_its_numbers(new_county: Engine) -> None:
    assert bd.load_boundaries(new_county, ADMIN, sc.shapefile_zip("township"), "乡镇界.zip").ok
    checked = bd.load_boundaries(new_county, ADMIN, sc.shapefile_zip("village", with_prj=False, with_cpg=False), "村界.zip")
    assert checked.ok and checked.level == "village" and checked.crs_how == "guessed"
    assert {p.key for p in checked.problems} >= {"setup.note.crs_guessed", "setup.note.encoding_guessed"}
    assert checked.counts["regions"] == 16
    found = stored(new_county)
    for v in sc.villages():
        assert shapely.geometry.shape(found[v.code].boundary).bounds == pytest.approx(v.box, abs=2e-5)


def test_names_only_are_matched_with_suffix_tolerance_and_by_where_they_lie(new_county: Engine) -> None:
    assert bd.load_boundaries(new_county, ADMIN, sc.shapefile_zip("township"), "乡镇界.zip").ok
    villages = check(new_county, sc.shapefile_zip("village", codes="none"), "村界.zip")
    assert villages.ok and villages.level == "village"
    assert all(f.status == "matched" and f.by == "name" for f in villages.features)
    # GeoJSON as common tools export it: adcode/name properties, names without 镇/乡/街道.
    features = [{"type": "Feature", "properties": {"name": t.spoken.rstrip("镇乡").replace("街道", "")},
                 "geometry": shapely.geometry.mapping(shapely.box(*t.box))} for t in sc.townships()]
    features.append({"type": "Feature", "properties": {"adcode": 349902001, "name": "邻县某镇"},
                     "geometry": shapely.geometry.mapping(shapely.box(118.0, 31.0, 118.1, 31.1))})
    doc = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    towns = check(new_county, doc, "towns.geojson")
    assert towns.ok and towns.counts == dict(matched=4, unmatched=1, ambiguous=0, county=0, regions=4, without=0)
    assert [p.key for p in towns.problems if p.severity == "warning"] == ["setup.warn.feature_unmatched"]


def test_kml_and_geojson_with_a_projected_crs_member(new_county: Engine) -> None:
    placemarks = "".join(
        f"<Placemark><name>{v.official}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(f"{x},{y},0" for x, y in shapely.box(*v.box).exterior.coords)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>" for v in sc.villages())
    kml = f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{placemarks}' \
          "</Document></kml>"
    checked = check(new_county, kml.encode("utf-8"), "村界.kml", level="village")
    assert checked.ok and checked.counts["regions"] == 16 and checked.crs_how == "file"
    to_gk = Transformer.from_crs(4326, 4527, always_xy=True)
    t = sc.townships()[0]
    ring = [to_gk.transform(x, y) for x, y in shapely.box(*t.box).exterior.coords]
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4527"}},
           "features": [{"type": "Feature", "properties": {"XZQDM": f"{t.code}000", "XZQMC": t.official},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    one = check(new_county, json.dumps(doc, ensure_ascii=False).encode(), "one.geojson")
    assert one.ok and one.features[0].region_code == t.code
    assert one.features[0].geometry.bounds == pytest.approx(t.box, abs=2e-5)


def test_self_intersection_is_refused_with_its_place_or_repaired_when_asked(new_county: Engine) -> None:
    data = sc.shapefile_zip("township", broken="bowtie")
    refused = bd.load_boundaries(new_county, ADMIN, data, "乡镇界.zip")
    bad = [p for p in refused.errors]
    assert [(p.key, p.row, p.value) for p in bad] == [("setup.err.self_intersection", 1, "白沙镇")]
    w, s, e, n = sc.townships()[1].box
    assert f"{(w + e) / 2:.3f}" in bad[0].message() and f"{(s + n) / 2:.3f}" in bad[0].message()
    assert "QGIS" in bad[0].fix()
    assert all(r.boundary is None for r in stored(new_county).values())        # refused: nothing written
    repaired = bd.load_boundaries(new_county, ADMIN, data, "乡镇界.zip", repair=True)
    assert repaired.ok and [p.key for p in repaired.problems if p.severity == "warning"] == \
        ["setup.warn.repaired.self_intersection"]
    assert shapely.geometry.shape(stored(new_county)["349901002"].boundary).is_valid


def test_wrong_crs_village_outside_its_township_and_unreadable_files(new_county: Engine) -> None:
    # Projected metres declared as degrees.
    mismatch = check(new_county, sc.shapefile_zip("township", with_prj=False), "乡镇界.zip", crs="EPSG:4490")
    assert [p.key for p in mismatch.errors] == ["setup.err.crs_mismatch"]
    # Metres without a zone number, no .prj: cannot be guessed.
    no_zone = check(new_county, sc.shapefile_zip("township", crs=4548, with_prj=False), "乡镇界.zip")
    assert [p.key for p in no_zone.errors] == ["setup.err.crs_missing"]
    assert no_zone.errors[0].fix().startswith("请向提供数据")
    ok = check(new_county, sc.shapefile_zip("township", crs=4548, with_prj=False), "乡镇界.zip", crs="4548")
    assert ok.ok
    # A village drawn in the next township.
    assert bd.load_boundaries(new_county, ADMIN, sc.shapefile_zip("township"), "乡镇界.zip").ok
    villages = sc.villages()
    features = []
    for n, v in enumerate(villages):
        box = v.box if n != 0 else villages[5].box   # 青溪社区 drawn where 新丰村 is
        features.append({"type": "Feature", "properties": {"code": v.code, "name": v.spoken},
                         "geometry": shapely.geometry.mapping(shapely.box(*box))})
    doc = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    outside = check(new_county, doc, "村.geojson")
    assert [(p.key, p.value) for p in outside.errors] == [("setup.err.outside_township", "青溪社区")]
    assert "青溪镇" in outside.errors[0].message()
    for data, key in ((b"", "ingest.err.empty_file"), (b"hello", "setup.err.geo_format"),
                      (b'{"type": "FeatureCollection", "features": []}', "setup.err.no_features")):
        assert [p.key for p in check(new_county, data, "x.geojson").errors] == [key]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "no map here")
    assert [p.key for p in check(new_county, buf.getvalue(), "x.zip").errors] == ["setup.err.zip_without_shapefile"]
    entity = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>'
    assert [p.key for p in check(new_county, entity, "x.kml").errors] == ["ingest.err.xml_entities"]


def test_zip_bomb_is_refused_while_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geofiles, "MAX_UNCOMPRESSED", 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.shp", b"\0" * (5 * 1024 * 1024))
        z.writestr("big.dbf", b"\0")
    layer = geofiles.read_layer(buf.getvalue(), "big.zip")
    assert [p.key for p in layer.problems] == ["setup.err.zip_too_big"] and not layer.features
