"""A second fictional county, 青溪县 (349901), as its offices would hand over its data: the division-
code list as CSV (GBK, as Excel on a Chinese Windows saves it), boundaries as zipped Shapefiles in
CGCS2000 / 3-degree Gauss-Krueger zone 39 (EPSG:4527, false easting 39,500,000 m) with GBK attribute
text and a .cpg, and service points whose coordinates were copied from 高德 (GCJ-02).

Geometry is laid out here in WGS84, then projected with pyproj and written with pyshp, so every
test knows where each place truly is.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import shapefile
from openpyxl import Workbook
from pyproj import CRS, Transformer

from data_access import coords

CODE, NAME = "349901", "青溪县"
WEST, SOUTH = 117.10, 31.60          # zone 39's central meridian is 117 E
T_W, T_H = 0.12, 0.10                # a township cell, degrees
# (official name in the list, spoken name, kind suffix) per township, 2 x 2 from the south-west.
TOWNSHIPS = [
    ("001", "青溪镇", (0, 0)), ("002", "白沙镇", (1, 0)), ("003", "东岭乡", (0, 1)), ("004", "城南街道办事处", (1, 1)),
]
VILLAGE_NAMES = {
    "001": ["青溪社区居民委员会", "柳塘村民委员会", "石桥村民委员会", "长乐村民委员会"],
    "002": ["白沙社区居委会", "桃源村民委员会", "新丰村民委员会", "上湾村民委员会"],
    "003": ["东岭村民委员会", "茶山村民委员会", "竹林村民委员会", "高坪村民委员会"],
    "004": ["南门社区居民委员会", "文昌社区居民委员会", "迎春社区居民委员会", "河西村民委员会"],
}
URBAN = {"社区": "111", "村": "220"}
PRJ_4527 = CRS.from_epsg(4527).to_wkt("WKT1_ESRI")


@dataclass
class Place:
    code: str
    official: str
    spoken: str
    box: tuple[float, float, float, float]    # west, south, east, north (WGS84)

    @property
    def centre(self) -> tuple[float, float]:
        w, s, e, n = self.box
        return (w + e) / 2, (s + n) / 2


def _spoken(official: str) -> str:
    for suffix, plain in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("村民委员会", "村"), ("街道办事处", "街道")):
        if official.endswith(suffix):
            return official[: -len(suffix)] + plain
    return official


def townships() -> list[Place]:
    out = []
    for t, name, (i, j) in TOWNSHIPS:
        w, s = WEST + i * T_W, SOUTH + j * T_H
        out.append(Place(f"{CODE}{t}", name, _spoken(name), (w, s, w + T_W, s + T_H)))
    return out


def villages() -> list[Place]:
    out = []
    for town in townships():
        w, s, e, n = town.box
        for k, name in enumerate(VILLAGE_NAMES[town.code[-3:]]):
            i, j = k % 2, k // 2
            vw, vs = w + i * (e - w) / 2, s + j * (n - s) / 2
            out.append(Place(f"{town.code}{k + 1:03d}", name, _spoken(name), (vw, vs, vw + (e - w) / 2, vs + (n - s) / 2)))
    return out


def division_csv(encoding: str = "gbk") -> bytes:
    """The statistics bureau's list as copied into Excel and saved as CSV: a title row, the header,
    the county's own row, 12-digit codes (townships ending in 000), and a row of another county."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["2023年统计用区划代码和城乡划分代码（青溪县）"])
    w.writerow(["统计用区划代码", "城乡分类代码", "名称"])
    w.writerow([f"{CODE}000000", "", NAME])
    for town in townships():
        w.writerow([f"{town.code}000", "", town.official])
        for v in villages():
            if v.code.startswith(town.code):
                w.writerow([v.code, URBAN["社区" if "社区" in v.official else "村"], v.official])
    w.writerow(["349902001000", "", "邻县某镇"])
    return buf.getvalue().encode(encoding)


def population_xlsx() -> bytes:
    """Residents per village, by name and township (no codes), as a township office would send it."""
    wb = Workbook()
    ws = wb.active
    ws.append(["青溪县各村（社区）常住人口"])
    ws.append(["乡镇", "村（社区）", "常住人口（人）"])
    towns = {t.code: t.spoken for t in townships()}
    for n, v in enumerate(villages()):
        ws.append([towns[v.code[:9]], v.spoken, 1200 + 150 * n])
    ws.append(["合计", "", sum(1200 + 150 * n for n in range(len(villages())))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def population_of(n: int) -> int:
    return 1200 + 150 * n


def _ring(box: tuple[float, float, float, float], steps: int = 6) -> list[tuple[float, float]]:
    """A box with extra vertices along each edge (real outlines are not four corners), clockwise
    as Shapefiles want their outer rings."""
    w, s, e, n = box
    pts = []
    for k in range(steps):
        pts.append((w, s + (n - s) * k / steps))
    for k in range(steps):
        pts.append((w + (e - w) * k / steps, n))
    for k in range(steps):
        pts.append((e, n - (n - s) * k / steps))
    for k in range(steps):
        pts.append((e - (e - w) * k / steps, s))
    pts.append(pts[0])
    return pts


def shapefile_zip(level: str = "township", crs: int = 4527, with_prj: bool = True, with_cpg: bool = True,
                  codes: str = "9", broken: str | None = None) -> bytes:
    """A zipped Shapefile as a 自然资源 office hands it out: XZQDM/XZQMC fields in GBK, the .prj and
    .cpg beside it, coordinates in EPSG:4527 (or `crs`). codes="9": townships with 9-digit codes
    (the list has 12); codes="none": names only. broken="bowtie" makes one township cross itself."""
    places = townships() if level == "township" else villages()
    to = Transformer.from_crs(4326, crs, always_xy=True)
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="gbk") as w:
        w.field("XZQDM", "C", size=12)
        w.field("XZQMC", "C", size=60)
        w.field("MJ", "N", size=12, decimal=2)
        for i, p in enumerate(places):
            ring = _ring(p.box)
            if broken == "bowtie" and i == 1:
                ws_, s_, e_, n_ = p.box
                ring = [(ws_, s_), (e_, n_), (e_, s_), (ws_, n_), (ws_, s_)]  # crosses itself in the middle
            w.poly([[to.transform(x, y) for x, y in ring]])
            code = "" if codes == "none" else (p.code if level == "village" or codes == "9" else f"{p.code}000")
            name = p.official if level == "township" else p.spoken
            w.record(code, name, 0)
    buf = io.BytesIO()
    stem = "青溪县乡镇界" if level == "township" else "青溪县村界"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{stem}.shp", shp.getvalue())
        z.writestr(f"{stem}.shx", shx.getvalue())
        z.writestr(f"{stem}.dbf", dbf.getvalue())
        if with_prj:
            z.writestr(f"{stem}.prj", CRS.from_epsg(crs).to_wkt("WKT1_ESRI"))
        if with_cpg:
            z.writestr(f"{stem}.cpg", "GBK")
    return buf.getvalue()


@dataclass
class Point:
    name: str
    type_label: str
    township: str
    village: str
    lon: float        # true position, WGS84
    lat: float
    opened: str


def points() -> list[Point]:
    """A room in every village, 300 m inside the village's east edge (so a GCJ-02 offset of ~500 m
    east, left unconverted, puts it in the next village or township), and the county centre."""
    out = []
    towns = {t.code: t for t in townships()}
    for v in villages():
        w, s, e, n = v.box
        lon, lat = e - 0.003, (s + n) / 2
        kind = "社会工作室" if v.spoken.endswith("社区") else "心理咨询室"
        out.append(Point(f"{v.spoken}{kind}", "村（社区）社会工作室" if kind == "社会工作室" else "村（社区）心理咨询室",
                         towns[v.code[:9]].spoken, v.spoken, lon, lat, "2025-03-01"))
    for t in towns.values():
        w, s, e, n = t.box
        out.append(Point(f"{t.spoken}社会心理服务站", "乡镇（街道）社会心理服务站", t.spoken, "", e - 0.003, s + 0.01,
                         "2024-06-01"))
    seat = towns[f"{CODE}001"]
    cx, cy = seat.centre
    out.append(Point(f"{NAME}社会心理服务中心", "县社会心理服务中心", seat.spoken, "", cx, cy, "2024-01-15"))
    return out


def points_xlsx(system: str = coords.GCJ02) -> bytes:
    """The registry as the county office typed it, coordinates copied from a 高德 (or 百度) map."""
    wb = Workbook()
    ws = wb.active
    ws.title = "服务阵地"
    ws.append(["青溪县社会心理服务阵地台账"])
    ws.append(["阵地名称", "阵地类型", "所属乡镇（街道）", "所属村（社区）", "经度", "纬度", "启用日期", "专职人员", "兼职人员"])
    for p in points():
        lon, lat = coords.from_wgs84(p.lon, p.lat, system)
        ws.append([p.name, p.type_label, p.township, p.village, round(lon, 6), round(lat, 6), p.opened, 1, 2])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
