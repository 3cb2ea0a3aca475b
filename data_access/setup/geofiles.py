"""Reading boundary files as counties receive them: GeoJSON (as exported by common tools, with
adcode/name properties), a zipped ESRI Shapefile as a 自然资源 office hands it out (.shp/.shx/.dbf
with a .prj and often a .cpg; attribute text in GBK; CGCS2000 geographic or a Gauss-Krueger
projection), and KML/KMZ (Google Earth, 奥维 and most phone apps).

Everything is read from memory, with the same kind of guards as the Excel reader: a size ceiling,
a zip read member by member with the inflated bytes counted (a member's declared size may lie),
XML parsed with entity declarations refused and its nesting depth bounded, the features and their
vertices counted. And, like a workbook, an uploaded map file is parsed in a sandbox child
(read_untrusted_layer): a file that still makes a parser blow up -- memory, time, a crash -- is
refused there, and the server keeps serving everyone else. The result is a Layer: features with
their properties and a shapely geometry in the file's own coordinates, plus the CRS the file
declares. Nothing here knows about regions; matching and checking are in boundaries.py.
"""
from __future__ import annotations

import codecs
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.geometry
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from data_access.ingest.problems import Problem, err, note

MAX_BYTES = int(float(os.environ.get("SETUP_GEO_MAX_MB", "100")) * 1024 * 1024)
# What a zip may inflate to, counted while inflating. A county's village boundaries as a Shapefile
# are tens of MB; the ceiling leaves the sandbox child room to parse them.
MAX_UNCOMPRESSED = int(float(os.environ.get("SETUP_GEO_MAX_UNCOMPRESSED_MB", "300")) * 1024 * 1024)
MAX_MEMBERS = 500
MAX_FEATURES = 200_000
# Vertices of all features: a province's villages simplified are ~2 million; more is not a county's
# boundary file, and shapely's memory grows with every one.
MAX_VERTICES = int(float(os.environ.get("SETUP_GEO_MAX_VERTICES", "5000000")))
MAX_XML_DEPTH = 64       # KML nests Document > Folder > Placemark > MultiGeometry > Polygon > ...: ~10
FORMATS = ("geojson", "shapefile", "kml")
EXTENSIONS = (".geojson", ".json", ".zip", ".kml", ".kmz")


@dataclass
class Feature:
    index: int                              # 0-based position in the file
    properties: dict[str, Any]
    geometry: BaseGeometry | None           # in the layer's CRS
    geometry_type: str = ""                 # as the file said (Polygon, Point, ...)


@dataclass
class Layer:
    name: str
    format: str
    features: list[Feature] = field(default_factory=list)
    crs: CRS | None = None                  # what the file declares (.prj, GeoJSON "crs"); KML is WGS84
    encoding: str | None = None             # Shapefile attribute text
    problems: list[Problem] = field(default_factory=list)


def sniff_format(data: bytes, filename: str) -> str | None:
    name = filename.lower()
    head = data[:512].lstrip()
    if data.startswith(b"PK\x03\x04"):
        return "kmz" if name.endswith(".kmz") else "zip"
    if head.startswith((b"<?xml", b"<kml")) or b"<kml" in head[:300]:
        return "kml"
    if head.startswith((b"{", b"\xef\xbb\xbf{")):
        return "geojson"
    return None


def _first_look(data: bytes, filename: str) -> Layer | None:
    """The refusals that need no parsing (empty, too big): a Layer holding the error, or None."""
    layer = Layer(name=filename.rsplit("/", 1)[-1], format="")
    if not data:
        layer.problems.append(err("ingest.err.empty_file"))
        return layer
    if len(data) > MAX_BYTES:
        layer.problems.append(err("ingest.err.too_big", size_mb=round(len(data) / 1024 / 1024, 1),
                                  max_mb=round(MAX_BYTES / 1024 / 1024)))
        return layer
    return None


# Sandbox refusals (sandbox.Refused.reason) as a map file's user reads them.
_REFUSAL_KEYS = {"memory": "setup.err.geo_unreadable_memory", "crash": "setup.err.geo_unreadable_memory",
                 "answer_too_big": "setup.err.geo_unreadable_memory", "time": "setup.err.geo_unreadable_time",
                 "error": "setup.err.geo_unreadable", "busy": "ingest.err.server_busy"}


def read_untrusted_layer(data: bytes, filename: str, limits: Any = None) -> Layer:
    """read_layer in a sandbox child (data_access.ingest.sandbox): how the setup page and command read
    an uploaded map file. Whatever the file does to the parser happens in the child; its death is a
    Layer holding one clear refusal."""
    from data_access.ingest import sandbox

    first = _first_look(data, filename)
    if first is not None:
        return first
    try:
        return sandbox.run(read_layer, data, filename, limits=limits)
    except sandbox.Refused as refused:
        limits = limits or sandbox.DEFAULT_LIMITS
        layer = Layer(name=filename.rsplit("/", 1)[-1], format="")
        layer.problems.append(err(_REFUSAL_KEYS.get(refused.reason, "setup.err.geo_unreadable"),
                                  seconds=round(limits.seconds)))
        return layer


def read_layer(data: bytes, filename: str) -> Layer:
    """The features of a boundary file; problems (never an exception) for what cannot be read.
    Parses in the calling process: uploads go through read_untrusted_layer."""
    layer = _first_look(data, filename)
    if layer is not None:
        return layer
    layer = Layer(name=filename.rsplit("/", 1)[-1], format="")
    kind = sniff_format(data, filename)
    try:
        if kind == "geojson":
            _read_geojson(data, layer)
        elif kind == "kml":
            _read_kml(data, layer)
        elif kind in ("zip", "kmz"):
            members = _unzip(data, layer)
            if members is not None:
                kml = [n for n in members if n.lower().endswith(".kml")]
                shp = [n for n in members if n.lower().endswith(".shp")]
                if shp:
                    _read_shapefile(members, shp, layer)
                elif kml:
                    _read_kml(members[kml[0]], layer)
                else:
                    layer.problems.append(err("setup.err.zip_without_shapefile",
                                              names="、".join(sorted(members)[:8]) or "—"))
        else:
            layer.problems.append(err("setup.err.geo_format"))
    except _Refused:
        pass  # the reason is in layer.problems
    if len(layer.features) > MAX_FEATURES:
        layer.problems.append(err("setup.err.too_many_features", count=len(layer.features), max=MAX_FEATURES))
        layer.features = []
    vertices = _vertices(layer)
    if vertices > MAX_VERTICES:
        layer.problems.append(err("setup.err.too_many_vertices", count=vertices, max=MAX_VERTICES))
        layer.features = []
    if not layer.features and not any(p.severity == "error" for p in layer.problems):
        layer.problems.append(err("setup.err.no_features"))
    return layer


class _Refused(Exception):
    pass


def _vertices(layer: Layer) -> int:
    shapes = [f.geometry for f in layer.features if f.geometry is not None]
    if not shapes:
        return 0
    import numpy as np

    return int(shapely.get_num_coordinates(np.array(shapes, dtype=object)).sum())


def _refuse(layer: Layer, key: str, **values: Any) -> None:
    layer.problems.append(err(key, **values))
    raise _Refused()


# --- GeoJSON ---------------------------------------------------------------------------------------

def _read_geojson(data: bytes, layer: Layer) -> None:
    layer.format = "geojson"
    # Before parsing (json builds a Python list per position): every position is a "[", so their
    # count bounds the vertices. Nesting thousands deep ends json's recursion (RecursionError).
    if data.count(b"[") > 2 * MAX_VERTICES + MAX_FEATURES * 4:
        _refuse(layer, "setup.err.too_many_vertices", count=f"~{data.count(b'[') // 2:,}", max=MAX_VERTICES)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        try:
            doc = json.loads(data.decode("gb18030"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            _refuse(layer, "setup.err.geojson_broken")
    read_geojson_doc(doc, layer)


def read_geojson_doc(doc: Any, layer: Layer) -> None:
    """A parsed GeoJSON document (FeatureCollection, Feature or bare geometry) into the layer."""
    layer.format = layer.format or "geojson"
    if not isinstance(doc, dict):
        _refuse(layer, "setup.err.geojson_broken")
    crs = doc.get("crs")
    if isinstance(crs, dict):
        # The old GeoJSON "crs" member: exports from CGCS2000 or projected data still write it.
        name = (crs.get("properties") or {}).get("name")
        if name:
            try:
                layer.crs = CRS.from_user_input(str(name))
            except CRSError:
                layer.problems.append(note("setup.note.crs_unreadable", value=str(name)[:80]))
    if doc.get("type") == "FeatureCollection":
        items = doc.get("features") or []
    elif doc.get("type") == "Feature":
        items = [doc]
    elif doc.get("type") in ("Polygon", "MultiPolygon", "GeometryCollection", "Point", "LineString"):
        items = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        _refuse(layer, "setup.err.geojson_broken")
    if len(items) > MAX_FEATURES:
        _refuse(layer, "setup.err.too_many_features", count=len(items), max=MAX_FEATURES)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        geometry = item.get("geometry")
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        kind = geometry.get("type", "") if isinstance(geometry, dict) else ""
        shape = None
        if isinstance(geometry, dict):
            try:
                shape = shapely.geometry.shape(geometry)
            except Exception:  # malformed coordinates: reported per feature by the checks
                shape = None
        layer.features.append(Feature(i, props, shape, kind))


# --- zip and Shapefile -------------------------------------------------------------------------------

def _unzip(data: bytes, layer: Layer) -> dict[str, bytes] | None:
    """Members by name, inflated with their bytes counted against the ceiling."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        _refuse(layer, "ingest.err.corrupt")
    infos = [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
    if len(infos) > MAX_MEMBERS:
        _refuse(layer, "setup.err.zip_members", count=len(infos))
    members: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            _refuse(layer, "ingest.err.password")
        wanted = info.filename.lower().endswith((".shp", ".shx", ".dbf", ".prj", ".cpg", ".kml"))
        if not wanted:
            continue
        chunks = []
        try:
            with archive.open(info) as stream:
                while True:
                    chunk = stream.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > MAX_UNCOMPRESSED:
                        _refuse(layer, "setup.err.zip_too_big", max_mb=MAX_UNCOMPRESSED // (1024 * 1024))
                    chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
            _refuse(layer, "ingest.err.corrupt")
        members[info.filename] = b"".join(chunks)
    return members


# Code page names a .cpg holds, and the dBASE language driver byte (offset 29) of Chinese files.
_CPG = {"936": "gb18030", "cp936": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
        "65001": "utf-8", "utf8": "utf-8", "utf-8": "utf-8", "ansi 936": "gb18030", "big5": "big5", "950": "big5"}
_LDID_GBK = {0x4D, 0x7A}


def dbf_encoding(dbf: bytes, cpg: bytes | None) -> tuple[str, str]:
    """(codec, how it was found): the .cpg, else the dBASE language byte, else the text itself."""
    if cpg:
        text = cpg.decode("ascii", "ignore").strip().lower()
        codec = _CPG.get(text) or _CPG.get(text.replace("cp", "")) if text else None
        if codec is None and text:
            try:
                codec = codecs.lookup(text).name
            except LookupError:
                codec = None
        if codec:
            return codec, "cpg"
    if len(dbf) > 29 and dbf[29] in _LDID_GBK:
        return "gb18030", "ldid"
    try:
        dbf[32:].decode("utf-8")
        return "utf-8", "guess"
    except UnicodeDecodeError:
        return "gb18030", "guess"


def _read_shapefile(members: dict[str, bytes], shp_names: list[str], layer: Layer) -> None:
    import shapefile

    layer.format = "shapefile"
    polygons = []
    for name in shp_names:
        stem = name[:-4]
        if f"{stem}.dbf" not in {n[:-4] + n[-4:].lower() for n in members}:
            continue
        polygons.append(stem)
    if not polygons:
        _refuse(layer, "setup.err.shapefile_parts", name=shp_names[0].rsplit("/", 1)[-1])
    if len(polygons) > 1:
        _refuse(layer, "setup.err.several_layers", names="、".join(p.rsplit("/", 1)[-1] for p in polygons))
    stem = polygons[0]

    def part(ext: str) -> bytes | None:
        for n, blob in members.items():
            if n[:-4] == stem and n[-4:].lower() == ext:
                return blob
        return None

    layer.name = f"{stem.rsplit('/', 1)[-1]}.shp"
    dbf, shx, prj, cpg = part(".dbf"), part(".shx"), part(".prj"), part(".cpg")
    encoding, found_by = dbf_encoding(dbf or b"", cpg)
    layer.encoding = encoding
    if found_by == "guess" and encoding != "utf-8":
        layer.problems.append(note("setup.note.encoding_guessed", value=encoding.upper()))
    if prj:
        try:
            layer.crs = CRS.from_wkt(prj.decode("latin-1").strip())
        except CRSError:
            layer.problems.append(note("setup.note.crs_unreadable", value=prj[:80].decode("latin-1")))
    try:
        reader = shapefile.Reader(shp=io.BytesIO(part(".shp") or b""), shx=io.BytesIO(shx) if shx else None,
                                  dbf=io.BytesIO(dbf or b""), encoding=encoding, encodingErrors="replace")
        fields = [f[0] for f in reader.fields[1:]]
        for i, record in enumerate(reader.iterShapeRecords()):
            if i >= MAX_FEATURES:
                _refuse(layer, "setup.err.too_many_features", count=i + 1, max=MAX_FEATURES)
            shape = record.shape
            props = dict(zip(fields, list(record.record)))
            geometry = None
            kind = getattr(shape, "shapeTypeName", "")
            if shape.shapeType != shapefile.NULL:
                try:
                    geo = shape.__geo_interface__
                    kind = geo.get("type", kind)
                    geometry = shapely.geometry.shape(geo)
                except Exception:  # a damaged record: reported per feature
                    geometry = None
            layer.features.append(Feature(i, props, geometry, str(kind)))
    except _Refused:
        raise
    except Exception:  # pyshp's errors for a damaged file are many; all mean the same to the user
        _refuse(layer, "setup.err.shapefile_broken", name=layer.name)
    if any("\ufffd" in str(v) for f in layer.features for v in f.properties.values()):
        layer.problems.append(note("setup.note.encoding_replaced", value=encoding.upper()))


# --- KML -------------------------------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ring(text: str | None) -> list[tuple[float, float]]:
    out = []
    for token in re.split(r"\s+", (text or "").strip()):
        parts = token.split(",")
        if len(parts) >= 2:
            out.append((float(parts[0]), float(parts[1])))
    return out


def _kml_polygon(element: Any) -> shapely.Polygon | None:
    shell: list[tuple[float, float]] = []
    holes: list[list[tuple[float, float]]] = []
    for child in element.iter():
        name = _local(child.tag)
        if name in ("outerBoundaryIs", "innerBoundaryIs"):
            coords = next((c for c in child.iter() if _local(c.tag) == "coordinates"), None)
            ring = _ring(coords.text if coords is not None else "")
            if name == "outerBoundaryIs":
                shell = ring
            elif ring:
                holes.append(ring)
    if len(shell) < 3:
        return None
    return shapely.Polygon(shell, holes)


def _read_kml(data: bytes, layer: Layer) -> None:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    layer.format = "kml"
    layer.crs = CRS.from_epsg(4326)  # KML is WGS84 by definition
    try:
        # Streamed, so that a file nested thousands deep is refused at its 65th level, before the
        # tree (and every recursive walk of it) exists. Entity declarations are refused by defusedxml.
        depth, root = 0, None
        for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                if depth > MAX_XML_DEPTH:
                    _refuse(layer, "setup.err.too_deep", max=MAX_XML_DEPTH)
            else:
                depth -= 1
    except _Refused:
        raise
    except DefusedXmlException:
        _refuse(layer, "ingest.err.xml_entities")
    except Exception:  # ParseError and friends
        _refuse(layer, "setup.err.kml_broken")
    if root is None:
        _refuse(layer, "setup.err.kml_broken")
    index = 0
    for placemark in root.iter():
        if _local(placemark.tag) != "Placemark":
            continue
        props: dict[str, Any] = {}
        polygons = []
        kinds = set()
        for child in placemark:
            name = _local(child.tag)
            if name in ("name", "description") and child.text:
                props[name] = child.text.strip()
            elif name == "ExtendedData":
                for item in child.iter():
                    tag = _local(item.tag)
                    if tag == "Data" and item.get("name"):
                        value = next((v.text for v in item if _local(v.tag) == "value"), None)
                        props[item.get("name")] = (value or "").strip()
                    elif tag == "SimpleData" and item.get("name"):
                        props[item.get("name")] = (item.text or "").strip()
        for item in placemark.iter():
            tag = _local(item.tag)
            if tag == "Polygon":
                kinds.add("Polygon")
                try:
                    polygon = _kml_polygon(item)
                except ValueError:
                    polygon = None
                if polygon is not None:
                    polygons.append(polygon)
            elif tag in ("Point", "LineString"):
                kinds.add(tag)
        geometry: BaseGeometry | None = None
        if polygons:
            geometry = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
        layer.features.append(Feature(index, props, geometry, "Polygon" if polygons else "/".join(sorted(kinds))))
        index += 1
        if index > MAX_FEATURES:
            _refuse(layer, "setup.err.too_many_features", count=index, max=MAX_FEATURES)
