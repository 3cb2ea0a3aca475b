"""The county set up from files by the commands alone (python -m data_access.setup ...): exit 0 when
done, 1 when refused (every problem printed, nothing written), 2 for a usage error."""
from __future__ import annotations

from pathlib import Path

import pytest
import shapely.geometry
from sqlalchemy import Engine, func, select

import setup_county as sc
from data_access import coords
from data_access import models as m
from data_access.db import session_scope
from data_access.setup.__main__ import main


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("区划代码.csv", sc.division_csv()), ("常住人口.xlsx", sc.population_xlsx()),
                       ("乡镇界.zip", sc.shapefile_zip("township")),
                       ("村界.zip", sc.shapefile_zip("village", with_prj=False)),
                       ("服务阵地.xlsx", sc.points_xlsx(coords.GCJ02))):
        path = tmp_path / name
        path.write_bytes(data)
        out[name] = path
    return out


@pytest.fixture(autouse=True)
def same_schema(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands open their own engine from the URL; on PostgreSQL, in the test's schema."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            monkeypatch.setenv("DATABASE_SCHEMA", conn.exec_driver_sql("SHOW search_path").scalar())


def run(engine: Engine, *argv: str) -> int:
    return main([*argv, "--database-url", engine.url.render_as_string(hide_password=False)])


def test_a_second_county_from_files_through_the_commands(engine: Engine, files: dict[str, Path],
                                                          capsys: pytest.CaptureFixture) -> None:
    assert run(engine, "status") == 1
    assert run(engine, "county", "--code", sc.CODE, "--name", sc.NAME) == 0
    assert run(engine, "regions", str(files["区划代码.csv"])) == 0
    assert run(engine, "population", str(files["常住人口.xlsx"])) == 0
    assert run(engine, "boundaries", str(files["乡镇界.zip"])) == 0
    assert "EPSG:4527" in capsys.readouterr().out
    # No .prj: the zone is read from the eastings; --crs says it outright.
    assert run(engine, "boundaries", str(files["村界.zip"]), "--crs", "EPSG:4527", "--level", "village") == 0
    assert run(engine, "departments", "--standard") == 0
    assert run(engine, "quarters", "--first", "2026Q1") == 0
    assert run(engine, "points", str(files["服务阵地.xlsx"]), "--coords", "gcj02") == 0
    out = capsys.readouterr().out
    assert "GCJ-02" in out and "21" in out
    with session_scope(engine) as s:
        villages = s.scalars(select(m.Region).where(m.Region.level == "village")).all()
        assert len(villages) == 16 and all(v.boundary and v.population for v in villages)
        points = {p.name_zh: p for p in s.scalars(select(m.ServicePoint))}
        periods = [p.code for p in s.scalars(select(m.Period).order_by(m.Period.code))]
        reporting = s.scalar(select(func.count()).select_from(m.Department).where(m.Department.reports_quarterly))
        trail = set(s.scalars(select(m.AuditEntry.username)))
        for p in sc.points():
            stored = points[p.name]
            assert (stored.lon, stored.lat) == pytest.approx((p.lon, p.lat), abs=1e-6)   # back on WGS84
            place = stored.region.boundary
            assert shapely.geometry.shape(place).covers(shapely.Point(stored.lon, stored.lat))
    assert periods[0] == "2026Q1" and reporting == 7 and trail and all(u.startswith("cli:") for u in trail)
    capsys.readouterr()
    assert run(engine, "status") == 1             # no catalogue yet
    assert "✖ 5." in capsys.readouterr().out
    assert run(engine, "catalogue", "--preset", "national-pilot") == 0
    assert "15" in capsys.readouterr().out
    assert run(engine, "catalogue", "--preset", "national-pilot") == 0   # again: adds nothing, changes nothing
    with session_scope(engine) as s:
        inds = {i.code: i for i in s.scalars(select(m.Indicator))}
        targets = s.scalar(select(func.count()).select_from(m.Target))
        trail = {e.username for e in s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "indicator.create"))}
    assert len(inds) == 15 and targets == 11 and all(u.startswith("cli:") for u in trail)
    assert inds["room_coverage"].rule["point_types"] == ["village_room", "social_work_room"]
    assert inds["smd_managed"].owner_department_id is not None   # the departments step came first
    assert run(engine, "status") == 0
    status = capsys.readouterr().out
    assert all(f"✔ {n}." in status for n in range(1, 8))


def test_refused_and_usage(engine: Engine, files: dict[str, Path], tmp_path: Path,
                           capsys: pytest.CaptureFixture) -> None:
    assert run(engine, "regions", str(files["区划代码.csv"])) == 1          # no county yet
    assert "第 1 步" in capsys.readouterr().out
    assert run(engine, "county", "--code", "3301", "--name", "某县") == 1
    assert run(engine, "county", "--code", sc.CODE, "--name", sc.NAME) == 0
    assert run(engine, "regions", str(files["区划代码.csv"])) == 0
    assert run(engine, "boundaries", str(files["村界.zip"]), "--dry-run") == 0
    with session_scope(engine) as s:
        assert not any(s.scalars(select(m.Region.boundary)))
    assert run(engine, "boundaries", str(files["村界.zip"])) == 0
    assert run(engine, "boundaries", str(files["乡镇界.zip"])) == 0
    # The points as WGS84 (they are GCJ-02): rooms land in the next village or outside the county.
    assert run(engine, "points", str(files["服务阵地.xlsx"]), "--coords", "wgs84") == 1
    captured = capsys.readouterr()
    assert "[error]" in captured.out and "未写入任何内容" in captured.err
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(m.ServicePoint)) == 0
    assert run(engine, "boundaries", str(tmp_path / "missing.zip")) == 2
    with pytest.raises(SystemExit) as usage:
        run(engine, "points", str(files["服务阵地.xlsx"]), "--coords", "gcj-02")
    assert usage.value.code == 2
    assert run(engine, "quarters", "--first", "2030Q1") == 1
    assert run(engine, "catalogue", "--preset", "no-such-preset") == 2
