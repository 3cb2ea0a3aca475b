"""Hostile map files on the setup page and command: each is parsed in a sandbox child (geofiles.
read_untrusted_layer, like a workbook), refused with a clear Chinese message, nothing written -- and
the server process is unaffected: its peak memory does not move, and the next good file reads."""
from __future__ import annotations

import io
import json
import resource
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

import hostile_files as hf  # type: ignore[import-not-found]
import setup_county as sc
from data_access.access import Actor
from data_access.db import session_scope
from data_access.ingest.sandbox import SandboxLimits
from data_access.setup import boundaries as bd
from data_access.setup import geofiles
from data_access.setup.__main__ import main as setup_cli

ADMIN = Actor(None, "admin", "admin")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check(engine: Engine, data: bytes, name: str) -> bd.BoundariesChecked:
    with session_scope(engine) as s:
        return bd.check_boundaries(s, ADMIN, data, name)


def deep_kml(depth: int = 100_000) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            + b"<Folder>" * depth + b"</Folder>" * depth + b"</kml>")


def billion_laughs_kml() -> bytes:
    lol = b'<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(9)) + b"]>"
    return (b'<?xml version="1.0" encoding="UTF-8"?>' + lol +
            b'<kml><Document><Placemark><name>&j;</name></Placemark></Document></kml>')


def deep_geojson(depth: int = 200_000) -> bytes:
    """"coordinates" nested 200,000 deep: json's recursion ends in RecursionError, which the old reader
    did not catch (an unexpected-error box on the page)."""
    return (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Polygon", "coordinates": ' + b"[" * depth + b"]" * depth + b"}}]}")


def kmz_of(kml: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", kml)
    return buf.getvalue()


HOSTILE = {
    "shapefile_bomb": (hf.shapefile_bomb, "乡镇界.zip", "setup.err.zip_too_big"),
    "deep_kml": (deep_kml, "村界.kml", "setup.err.too_deep"),
    "deep_kmz": (lambda: kmz_of(deep_kml()), "村界.kmz", "setup.err.too_deep"),
    "billion_laughs_kml": (billion_laughs_kml, "村界.kml", "ingest.err.xml_entities"),
    "deep_geojson": (deep_geojson, "乡镇界.geojson", "setup.err.geojson_broken"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_map_file_is_refused_in_a_child_and_the_server_is_unaffected(name: str, new_county: Engine) -> None:
    make, filename, key = HOSTILE[name]
    data = make()
    assert len(data) < 2 * 1024 * 1024          # small files, each a trap for the parser
    good = sc.shapefile_zip("township")
    assert check(new_county, good, "乡镇界.zip").ok  # the fork server and a child are up: measure from here
    before = _peak_mb()
    checked = check(new_county, data, filename)
    assert [p.key for p in checked.errors] == [key]
    problem = checked.errors[0]
    assert "{" not in problem.message() and any("\u4e00" <= ch <= "\u9fff" for ch in problem.message())
    assert _peak_mb() - before < 50, "the server process grew while a hostile map file was read"
    # Nothing was written, and the next good file reads as before.
    assert not bd.load_boundaries(new_county, ADMIN, data, filename).ok
    assert bd.load_boundaries(new_county, ADMIN, good, "乡镇界.zip").ok


def test_a_child_that_dies_of_memory_is_a_clear_refusal() -> None:
    """A file within every counted limit can still need more memory than the child may have: the
    child dies, the caller gets one Chinese refusal (here a 64 MB child and a 600,000-vertex file)."""
    ring = [[100 + i * 1e-6, 30 + (i % 2) * 1e-6] for i in range(600_000)] + [[100, 30]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "北山乡"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    data = json.dumps(doc).encode()
    layer = geofiles.read_untrusted_layer(data, "乡镇界.geojson", SandboxLimits(memory_mb=64, seconds=20, workers=1))
    assert [p.key for p in layer.problems] in (["setup.err.geo_unreadable_memory"], ["setup.err.geo_unreadable_time"])
    assert not layer.features and "拒收" in layer.problems[0].message()


def test_vertex_and_feature_counts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geofiles, "MAX_VERTICES", 1000)
    ring = [[100 + i * 1e-4, 30 + (i % 7) * 1e-4] for i in range(2000)] + [[100, 30]]
    doc = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    layer = geofiles.read_layer(json.dumps(doc).encode(), "x.geojson")   # counted after parsing
    assert [p.key for p in layer.problems] == ["setup.err.too_many_vertices"] and not layer.features
    many = json.dumps({"type": "LineString", "coordinates": [[1, 2]] * 5000}).encode()
    layer = geofiles.read_layer(many, "x.geojson")                        # bounded before parsing
    assert [p.key for p in layer.problems] == ["setup.err.too_many_vertices"]


def test_the_command_refuses_a_1_gb_file_by_its_size(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A 1 GB GeoJSON (sparse: it takes no disk) is refused by its declared size, never read into the
    command's process. (A database of its own: the command migrates the database it is given.)"""
    path = tmp_path / "乡镇界.geojson"
    with open(path, "wb") as fh:
        fh.truncate(hf.GiB)
    before = _peak_mb()
    url = f"sqlite:///{tmp_path / 'own.sqlite'}"
    assert setup_cli(["boundaries", str(path), "--database-url", url]) == 1
    out = capsys.readouterr()
    assert "文件过大" in out.out and "上限为 100 MB" in out.out
    assert _peak_mb() - before < 50
