"""Service-point coordinates copied from 高德 (GCJ-02) or 百度 (BD-09): converted to WGS84 in the
registry form's write and in the bulk import; the downloaded list, declared GCJ-02, moves nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from data_access import coords, registry
from data_access import models as m
from data_access.access import Actor
from data_access.db import session_scope
from data_access.ingest import reference as ref

ADMIN = Actor(None, "admin", "admin")
TODAY = dt.date(2026, 11, 20)


def a_village(s) -> tuple[m.Region, m.Region]:  # noqa: ANN001
    village = s.scalar(select(m.Region).where(m.Region.code == "990101006005"))
    return village, village.parent


def test_form_converts_gcj02_and_bd09_and_leaves_unmoved_points_alone(county: Engine) -> None:
    with session_scope(county) as s:
        village, town = a_village(s)
        lon, lat = town.centroid_lon, town.centroid_lat
        gcj = coords.from_wgs84(lon, lat, coords.GCJ02)
        sp = registry.add_point(s, ADMIN, dict(type="grid_point", name_zh="高德坐标网格点", township=town.code,
                                               village=village.code, lon=gcj[0], lat=gcj[1], coords="gcj02",
                                               opened_on="2026-01-05"), TODAY)
        assert (sp.lon, sp.lat) == pytest.approx((lon, lat), abs=1e-6)
        # The edit form shows the stored (WGS84) numbers; saving them with "GCJ-02" selected moves nothing.
        registry.edit_point(s, ADMIN, sp.id, dict(lon=str(sp.lon), lat=str(sp.lat), coords="gcj02", note="核对"), TODAY)
        assert (sp.lon, sp.lat) == pytest.approx((lon, lat), abs=1e-6) and sp.note == "核对"
        bd = coords.from_wgs84(lon + 0.001, lat, coords.BD09)
        registry.edit_point(s, ADMIN, sp.id, dict(lon=bd[0], lat=bd[1], coords="bd09"), TODAY)
        assert (sp.lon, sp.lat) == pytest.approx((lon + 0.001, lat), abs=1e-6)
        with pytest.raises(registry.RegistryError) as bad:
            registry.edit_point(s, ADMIN, sp.id, dict(lon=bd[0], lat=bd[1], coords="mars"), TODAY)
        assert [k for k, _ in bad.value.problems] == ["registry.error.coords_system"]


def test_unconverted_gcj02_would_put_a_point_outside_its_township(county: Engine) -> None:
    with session_scope(county) as s:
        village, town = a_village(s)
        from data_access.geo import shape_of

        west, south, east, north = shape_of(town.boundary).bounds
        # A point 150 m inside the township's east edge, as 高德 shows it (~500 m further east and north).
        inside = next((x, (south + north) / 2) for x in [east - 0.0015 - k * 0.0005 for k in range(40)]
                      if registry.Places(s).covers(town, x, (south + north) / 2))
        gcj = coords.from_wgs84(*inside, coords.GCJ02)
        entry = dict(type="grid_point", name_zh="边缘网格点", township=town.code, lon=gcj[0], lat=gcj[1],
                     opened_on="2026-01-05")
        with pytest.raises(registry.RegistryError) as refused:
            registry.check_entry(s, entry, TODAY)
        assert refused.value.problems[0][0] in ("registry.error.outside_township", "registry.error.outside_county")
        values = registry.check_entry(s, {**entry, "coords": "gcj02"}, TODAY)
        assert (values["lon"], values["lat"]) == pytest.approx(inside, abs=1e-6)


def test_downloaded_list_declared_gcj02_is_unchanged(county: Engine) -> None:
    with session_scope(county) as s:
        _, data = ref.template(s, ADMIN, ref.SERVICE_POINTS)
        preview = ref.check_import(s, ADMIN, ref.SERVICE_POINTS, data, "台账.xlsx", today=TODAY,
                                   coords_system=coords.GCJ02)
    assert preview.counts["changed"] == 0 and preview.counts["new"] == 0
    assert not any(p.key == "setup.coords.note" for p in preview.problems)


def test_add_points_checks_every_entry_and_writes_all_or_nothing(county: Engine) -> None:
    with session_scope(county) as s:
        village, town = a_village(s)
        before = len(s.scalars(select(m.ServicePoint.id)).all())
        good = dict(type="grid_point", name_zh="批量网格点一", township=town.code, village=village.code,
                    lon=town.centroid_lon, lat=town.centroid_lat, opened_on=dt.date(2026, 1, 5))
        bad = dict(good, name_zh="批量网格点二", township="无此乡")
        with pytest.raises(registry.RegistryError) as refused:
            registry.add_points(s, ADMIN, [good, bad], TODAY)
        assert refused.value.messages("zh") == ["第 2 条：乡镇（街道）“无此乡”不在本县，请从列表中选择。"]
        assert len(s.scalars(select(m.ServicePoint.id)).all()) == before
        codes = registry.add_points(s, ADMIN, [good, dict(good, name_zh="批量网格点二")], TODAY)
        assert len(codes) == 2 and len(set(codes)) == 2
        trail = s.scalars(select(m.AuditEntry).where(m.AuditEntry.entity_id.in_(codes))).all()
        assert {e.action for e in trail} == {"registry.add"} and len(trail) == 2
        assert trail[0].after["region_id"] == village.id
