"""Deterministic sample data: one fictional county (和安县), or a province of many for benchmarks.

    python -m sample_data.generate                       # the sample county into DATABASE_URL / var/
    python -m sample_data.generate --counties 100 --database-url URL --reset
    python -m sample_data.generate --local-sample        # make run: only the local var/ database, if new
    python -m sample_data.generate --if-empty            # make demo: any database empty of data and accounts

Sample data and the demo accounts (password demo2026) go only into a database without any account
and only when asked; a database with real accounts is never written to, not even with --reset.

Proportions follow the seeds: ~180 villages/communities in 12 townships/streets and an
industrial park, ~40 schools, 5 hospitals, every service-point type; quarterly history with
townships that lag, indicators that reach their target and two departments that report late.
Only aggregates are generated: counts per area and quarter, never a person.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import shapely.geometry
from pyproj import CRS
from sqlalchemy import Engine, MetaData, func, insert, select, text, update
from sqlalchemy.orm import Session

from data_access import models as m
from data_access import registry
from data_access.access import Actor
from data_access.db import make_engine, upgrade_schema
from data_access.setup import boundaries, divisions, geofiles
from data_access.setup.county import put_county
from sample_data import geometry as geo
from sample_data.reference import (
    DEADLINE_DAYS,
    DEPARTMENTS,
    SAMPLE_PRESET,
    TARGET_DATE,
    TARGET_SET_ON,
    period_codes,
    quarter_bounds,
)

SEED = 20261123
COUNTY_CODE = "990101"
# The sample county's history: eight ended quarters up to the last quarter that has ended
# (2026Q3 on the day this was written), and the running quarter with no sheets yet.
FIRST_PERIOD = "2024Q4"
HISTORY_QUARTERS = 8
PROVINCE_QUARTERS = 12

# Township template: (name_zh, name_en, kind, grid column, grid row, village grid (a, b), share of
# communities, performance 0..1 -- low values lag behind on every indicator).
TOWNSHIPS: list[tuple[str, str, str, int, int, tuple[int, int], float, float]] = [
    ("北山乡", "Beishan Township", "township", 0, 2, (4, 4), 0.0, 0.15),
    ("黄岭乡", "Huangling Township", "township", 1, 2, (4, 4), 0.0, 0.3),
    ("柳溪乡", "Liuxi Township", "township", 2, 2, (4, 4), 0.0, 0.75),
    ("清水乡", "Qingshui Township", "township", 3, 2, (4, 4), 0.0, 0.5),
    ("西城街道", "Xicheng Subdistrict", "street", 0, 1, (3, 3), 1.0, 0.9),
    ("城关镇", "Chengguan Town", "town", 1, 1, (4, 5), 0.5, 1.0),
    ("东城街道", "Dongcheng Subdistrict", "street", 2, 1, (3, 3), 1.0, 0.85),
    ("南湖镇", "Nanhu Town", "town", 3, 1, (4, 4), 0.15, 0.8),
    ("青石镇", "Qingshi Town", "town", 0, 0, (3, 5), 0.1, 0.7),
    ("白塔镇", "Baita Town", "town", 1, 0, (3, 5), 0.1, 0.95),
    ("石门镇", "Shimen Town", "town", 2, 0, (3, 5), 0.1, 0.65),
    ("凤鸣镇", "Fengming Town", "town", 3, 0, (3, 5), 0.1, 0.9),
]
PARK = ("和安经济开发区", "Hean Economic Development Zone", "park", (1, 2))

# Syllables for village names, with pinyin for the English transliteration.
FIRST = [("张", "Zhang"), ("李", "Li"), ("王", "Wang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
         ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("徐", "Xu"), ("孙", "Sun"),
         ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
         ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
         ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
         ("新", "Xin"), ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("上", "Shang"),
         ("下", "Xia"), ("大", "Da"), ("小", "Xiao"), ("长", "Chang"), ("青", "Qing"), ("红", "Hong")]
SECOND = [("家", "jia"), ("庄", "zhuang"), ("湾", "wan"), ("坪", "ping"), ("岭", "ling"), ("沟", "gou"),
          ("桥", "qiao"), ("塘", "tang"), ("山", "shan"), ("河", "he"), ("田", "tian"), ("坝", "ba"),
          ("冲", "chong"), ("岗", "gang"), ("埠", "bu"), ("溪", "xi"), ("林", "lin"), ("源", "yuan"),
          ("峰", "feng"), ("园", "yuan"), ("堡", "bao"), ("铺", "pu"), ("营", "ying"), ("洲", "zhou")]
COMMUNITY = [("和平", "Heping"), ("幸福", "Xingfu"), ("建设", "Jianshe"), ("文化", "Wenhua"),
             ("朝阳", "Chaoyang"), ("人民", "Renmin"), ("胜利", "Shengli"), ("解放", "Jiefang"),
             ("光明", "Guangming"), ("新华", "Xinhua"), ("育才", "Yucai"), ("春晖", "Chunhui"),
             ("锦绣", "Jinxiu"), ("滨江", "Binjiang"), ("迎宾", "Yingbin"), ("康宁", "Kangning"),
             ("安居", "Anju"), ("友谊", "Youyi"), ("振兴", "Zhenxing"), ("繁荣", "Fanrong"),
             ("向阳", "Xiangyang"), ("翠苑", "Cuiyuan"), ("金桥", "Jinqiao"), ("银河", "Yinhe")]
COUNTY_NAMES = [("和安", "Hean"), ("宁远", "Ningyuan"), ("永和", "Yonghe"), ("丰泽", "Fengze"),
                ("嘉禾", "Jiahe"), ("太平", "Taiping"), ("长乐", "Changle"), ("清源", "Qingyuan"),
                ("安福", "Anfu"), ("崇仁", "Chongren")]


@dataclass
class Rows:
    """Rows to bulk insert, table by table, with ids assigned here so parents are known."""

    regions: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)
    service_points: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]


@dataclass
class TownshipInfo:
    id: int
    code: str
    name_zh: str
    kind: str
    performance: float
    population: int
    urban_population: int
    rural_population: int


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _opened_for(rng: random.Random, performance: float, early: float = 0.55) -> dt.date | None:
    """When a room opened (or None: still a gap). Good townships build more rooms, earlier."""
    if rng.random() > 0.55 + 0.42 * performance:
        return None
    if rng.random() < early:
        return _date_between(rng, dt.date(2022, 6, 1), dt.date(2024, 9, 30))
    return _date_between(rng, dt.date(2024, 10, 1), dt.date(2026, 9, 20))


def build_county(rows: Rows, rng: random.Random, code: str, name: tuple[str, str], origin: geo.Point,
                 parent_id: int | None, parent_path: str, province: bool = False) -> list[TownshipInfo]:
    """Regions, facilities and service points of one county; returns its townships."""
    width, height = 0.62, 0.46
    lon0, lat0 = origin
    outline: geo.Quad = ((lon0, lat0), (lon0 + width, lat0), (lon0 + width, lat0 + height), (lon0, lat0 + height))
    lattice = geo.jittered_lattice(rng, outline, 4, 3, jitter=0.25)
    grid = geo.cells(lattice)
    county_id = rows.new_id("regions")
    county_path = f"{parent_path}{code}/"
    county_row: dict[str, Any] = dict(
        id=county_id, code=code, name_zh=f"{name[0]}县", name_en=f"{name[1]} County", level="county",
        kind=None, parent_id=parent_id, path=county_path, is_urban=False,
        centroid_lon=round(lon0 + width / 2, 5), centroid_lat=round(lat0 + height / 2, 5),
        boundary=geo.polygon(outline), aliases=[name[0]], population=0, retired_on=None)
    rows.regions.append(county_row)

    units = []
    for spec in TOWNSHIPS:
        name_zh, name_en, kind, col, row, vgrid, urban_share, perf = spec
        units.append((name_zh, name_en, kind, grid[row][col], vgrid, urban_share, perf))
    # The industrial park takes the east third of 城关镇's cell.
    cg = next(i for i, u in enumerate(units) if u[0] == "城关镇")
    west, east = geo.split_west_east(units[cg][3], 0.68)
    units[cg] = units[cg][:3] + (west,) + units[cg][4:]
    units.append((PARK[0], PARK[1], PARK[2], east, PARK[3], 1.0, 0.8))

    townships: list[TownshipInfo] = []
    used_names: set[str] = set()
    for t_index, (name_zh, name_en, kind, quad, vgrid, urban_share, perf) in enumerate(units, start=1):
        if province:
            vgrid = (rng.randint(4, 5), rng.randint(5, 6))
            perf = min(1.0, max(0.0, perf + rng.uniform(-0.3, 0.3)))
        t_id = rows.new_id("regions")
        t_code = f"{code}{t_index:03d}"
        t_path = f"{county_path}{t_code}/"
        short = name_zh[:-1] if kind in ("town", "township") else name_zh[:-2] if kind == "street" else "开发区"
        aliases = [short, name_zh.replace("镇", "鎮").replace("乡", "鄉")]
        if kind == "park":
            aliases += ["开发区", "经开区", "和安经开区"]
        t_row = dict(id=t_id, code=t_code, name_zh=name_zh, name_en=name_en, level="township", kind=kind,
                     parent_id=county_id, path=t_path, is_urban=kind in ("street", "park"),
                     centroid_lon=geo.centroid(quad)[0], centroid_lat=geo.centroid(quad)[1],
                     boundary=geo.polygon(quad), aliases=sorted(set(aliases)), population=0, retired_on=None)
        rows.regions.append(t_row)
        a, b = vgrid
        vlattice = geo.jittered_lattice(rng, quad, a, b, jitter=0.3)
        vcells = [c for r in geo.cells(vlattice) for c in r]
        n_comm = round(len(vcells) * urban_share)
        info = TownshipInfo(t_id, t_code, name_zh, kind, perf, 0, 0, 0)
        for v_index, vquad in enumerate(vcells, start=1):
            is_comm = v_index <= n_comm
            for attempt in range(200):
                if is_comm:
                    syl = rng.choice(COMMUNITY)
                    v_zh, v_en = f"{syl[0]}社区", f"{syl[1]} Community"
                    if attempt > 20:  # only 24 community names: qualify by the township, as real towns do
                        v_zh, v_en = f"{short}{v_zh}", f"{name_en.split()[0]} {v_en}"
                else:
                    s1, s2 = rng.choice(FIRST), rng.choice(SECOND)
                    v_zh, v_en = f"{s1[0]}{s2[0]}村", f"{s1[1]}{s2[1]} Village"
                if v_zh not in used_names:
                    used_names.add(v_zh)
                    break
            else:  # names ran out (a big park at province scale): number them, as towns do (朝阳二社区)
                base_zh, base_en, n = v_zh, v_en, 2
                while f"{base_zh[:-2]}{n}{base_zh[-2:]}" in used_names:
                    n += 1
                v_zh, v_en = f"{base_zh[:-2]}{n}{base_zh[-2:]}", f"{base_en} {n}"
                used_names.add(v_zh)
            if kind == "park":
                pop = rng.randint(380, 520)
            elif is_comm:
                pop = rng.randint(2600, 8800)
            else:
                pop = rng.randint(650, 3200)
            v_id = rows.new_id("regions")
            v_code = f"{t_code}{v_index:03d}"
            cx, cy = geo.centroid(vquad)
            rows.regions.append(dict(
                id=v_id, code=v_code, name_zh=v_zh, name_en=v_en, level="village", kind="community" if is_comm else "village",
                parent_id=t_id, path=f"{t_path}{v_code}/", is_urban=is_comm, population=pop,
                centroid_lon=cx, centroid_lat=cy, boundary=geo.polygon(vquad), aliases=None, retired_on=None))
            info.population += pop
            if is_comm:
                info.urban_population += pop
            else:
                info.rural_population += pop
            opened = _opened_for(rng, perf)
            if opened:
                sp_type = "social_work_room" if is_comm and rng.random() < 0.35 else "village_room"
                _point(rows, rng, sp_type, f"{v_zh}{'社会工作室' if sp_type == 'social_work_room' else '心理咨询室'}",
                       f"{v_en} {'Social-Work Room' if sp_type == 'social_work_room' else 'Counselling Room'}",
                       v_id, vquad, opened, staff=(rng.randint(0, 1), rng.randint(1, 3)), code_prefix=code)
            if rng.random() < 0.22:
                _point(rows, rng, "grid_point", f"{v_zh}网格服务点", f"{v_en} Grid Service Point", v_id, vquad,
                       _date_between(rng, dt.date(2023, 1, 1), dt.date(2026, 6, 30)), staff=(0, rng.randint(1, 2)),
                       code_prefix=code)
        t_row["population"] = info.population
        county_row["population"] += info.population
        townships.append(info)

        # Township station: lagging townships opened theirs late (黄岭乡 only in 2026).
        station_open = (dt.date(2026, 5, 12) if name_zh == "黄岭乡" and not province
                        else _date_between(rng, dt.date(2023, 3, 1), dt.date(2025, 6, 30)))
        _point(rows, rng, "township_station", f"{name_zh}社会心理服务站", f"{name_en} Psychological Service Station",
               t_id, quad, station_open, staff=(rng.randint(1, 3), rng.randint(2, 5)), spread=0.1, code_prefix=code)
        _schools(rows, rng, t_id, quad, name_zh, name_en, kind, perf, code)
    _county_points(rows, rng, units, townships, code, name, province)
    return townships


def _point(rows: Rows, rng: random.Random, sp_type: str, name_zh: str, name_en: str, region_id: int,
           quad: geo.Quad, opened: dt.date | None, staff: tuple[int, int], spread: float = 0.3,
           facility_id: int | None = None, code_prefix: str = "", at: geo.Point | None = None) -> int:
    sp_id = rows.new_id("service_points")
    lon, lat = at if at else geo.point_inside(rng, quad, spread)
    rows.service_points.append(dict(
        id=sp_id, code=f"SP{code_prefix}{sp_id:06d}", type=sp_type, name_zh=name_zh, name_en=name_en,
        region_id=region_id, facility_id=facility_id, lon=lon, lat=lat, opened_on=opened, retired_on=None,
        status="active", staff_full=staff[0], staff_part=staff[1], phone=None, note=None))
    return sp_id


def _facility(rows: Rows, rng: random.Random, kind: str, name_zh: str, name_en: str, region_id: int,
              quad: geo.Quad, listed: bool = False) -> tuple[int, geo.Point]:
    f_id = rows.new_id("facilities")
    lon, lat = geo.point_inside(rng, quad, 0.25)
    rows.facilities.append(dict(id=f_id, code=f"F{region_id:06d}{f_id:05d}", kind=kind, name_zh=name_zh,
                                name_en=name_en, region_id=region_id, lon=lon, lat=lat, is_listed=listed,
                                opened_on=dt.date(1990, 9, 1), closed_on=None))
    return f_id, (lon, lat)


def _schools(rows: Rows, rng: random.Random, t_id: int, quad: geo.Quad, name_zh: str, name_en: str,
             kind: str, perf: float, code: str) -> None:
    short = name_zh.replace("街道", "").replace("经济开发区", "").rstrip("镇乡")
    short_en = name_en.split(" ")[0]
    specs = {"street": [("第一小学", "No.1 Primary School", "primary_school"),
                        ("第二小学", "No.2 Primary School", "primary_school"),
                        ("实验小学", "Experimental Primary School", "primary_school"),
                        ("初级中学", "Junior Middle School", "secondary_school")],
             "town": [("中心小学", "Central Primary School", "primary_school"),
                      ("第二小学", "No.2 Primary School", "primary_school"),
                      ("中学", "Middle School", "secondary_school")],
             "township": [("中心小学", "Central Primary School", "primary_school"),
                          ("中学", "Middle School", "secondary_school")],
             "park": [("学校", "School", "primary_school")]}[kind]
    if name_zh == "城关镇":
        specs = specs + [("高级中学", "Senior High School", "secondary_school"),
                         ("职业中学", "Vocational School", "secondary_school"),
                         ("第三小学", "No.3 Primary School", "primary_school")]
    for s_zh, s_en, s_kind in specs:
        f_id, at = _facility(rows, rng, s_kind, f"{short}{s_zh}", f"{short_en} {s_en}", t_id, quad)
        opened = _opened_for(rng, 0.55 + 0.45 * perf, early=0.6)
        if opened:
            _point(rows, rng, "school_room", f"{short}{s_zh}心理辅导室", f"{short_en} {s_en} Counselling Room",
                   t_id, quad, opened, staff=(rng.randint(0, 1), rng.randint(1, 2)), facility_id=f_id,
                   code_prefix=code, at=at)


def _county_points(rows: Rows, rng: random.Random, units: list, townships: list[TownshipInfo], code: str,
                   name: tuple[str, str], province: bool) -> None:
    by_name = {t.name_zh: (t, u[3]) for t, u in zip(townships, units)}
    seat, seat_quad = by_name["城关镇"]
    nanhu, nanhu_quad = by_name["南湖镇"]
    county_zh = f"{name[0]}县"
    centre_at = geo.centroid(seat_quad)
    _point(rows, rng, "county_centre", f"{county_zh}社会心理服务中心", f"{name[1]} County Psychological Service Centre",
           seat.id, seat_quad, dt.date(2023, 3, 18), staff=(6, 12), code_prefix=code, at=centre_at)
    _point(rows, rng, "hotline", f"{county_zh}24小时心理援助热线", f"{name[1]} County 24-hour Hotline",
           seat.id, seat_quad, dt.date(2024, 11, 15), staff=(4, 8), code_prefix=code,
           at=(centre_at[0] + 0.002, centre_at[1] + 0.001))
    hospitals = [("人民医院", "People's Hospital", True, dt.date(2023, 5, 8)),
                 ("中医医院", "TCM Hospital", True, dt.date(2024, 3, 20)),
                 ("妇幼保健院", "Maternal and Child Health Hospital", True, dt.date(2026, 4, 16)),
                 ("第二人民医院", "Second People's Hospital", False, dt.date(2025, 8, 1)),
                 ("康宁医院", "Kangning Hospital", False, None)]
    for h_zh, h_en, listed, clinic in hospitals:
        region, quad = (nanhu, nanhu_quad) if h_zh == "第二人民医院" else (seat, seat_quad)
        f_id, at = _facility(rows, rng, "hospital", f"{county_zh}{h_zh}", f"{name[1]} County {h_en}",
                             region.id, quad, listed)
        if clinic:
            _point(rows, rng, "hospital_clinic", f"{county_zh}{h_zh}心理门诊", f"{name[1]} County {h_en} Psychology Clinic",
                   region.id, quad, clinic, staff=(rng.randint(2, 4), rng.randint(1, 3)), facility_id=f_id,
                   code_prefix=code, at=at)
    _point(rows, rng, "police_room", f"{county_zh}公安局心理服务室", f"{name[1]} County Police Bureau Service Room",
           seat.id, seat_quad, dt.date(2024, 6, 1), staff=(1, 2), code_prefix=code)
    _point(rows, rng, "petition_room", f"{county_zh}信访局心理服务室", f"{name[1]} County Petition Bureau Service Room",
           seat.id, seat_quad, dt.date(2024, 9, 1), staff=(1, 1), code_prefix=code)
    _point(rows, rng, "court_room", f"{county_zh}人民法院心理服务室", f"{name[1]} County Court Service Room",
           seat.id, seat_quad, dt.date(2025, 1, 10), staff=(1, 1), code_prefix=code)
    _point(rows, rng, "court_room", "南湖人民法庭心理服务室", "Nanhu People's Tribunal Service Room",
           nanhu.id, nanhu_quad, dt.date(2025, 10, 9), staff=(0, 1), code_prefix=code)
    for t_name in ("南湖镇", "白塔镇", "石门镇"):
        t, quad = by_name[t_name]
        _point(rows, rng, "police_room", f"{t_name}派出所心理服务室", f"{t_name} Police Station Service Room",
               t.id, quad, _date_between(rng, dt.date(2024, 6, 1), dt.date(2026, 6, 1)), staff=(0, 1), code_prefix=code)
    park, park_quad = by_name[PARK[0]]
    firms = [("和安精密制造", "Hean Precision"), ("宏达纺织", "Hongda Textiles"), ("绿源食品", "Lvyuan Foods"),
             ("恒信电子", "Hengxin Electronics"), ("安泰物流", "Antai Logistics")]
    for f_zh, f_en in firms:
        _point(rows, rng, "enterprise_station", f"{f_zh}企业爱心驿站", f"{f_en} Enterprise Station", park.id, park_quad,
               _date_between(rng, dt.date(2024, 3, 1), dt.date(2026, 8, 1)), staff=(0, 2), code_prefix=code)
    for t_name, f_zh, f_en in (("南湖镇", "南湖水泥", "Nanhu Cement"), ("白塔镇", "白塔茶业", "Baita Tea")):
        t, quad = by_name[t_name]
        _point(rows, rng, "enterprise_station", f"{f_zh}企业爱心驿站", f"{f_en} Enterprise Station", t.id, quad,
               _date_between(rng, dt.date(2024, 3, 1), dt.date(2026, 8, 1)), staff=(0, 1), code_prefix=code)
    if not province:
        # Real registries have holes: the map page must list these as data problems, not draw them at (0, 0).
        t, quad = by_name["柳溪乡"]
        sp = _point(rows, rng, "grid_point", "柳溪乡集镇网格服务点", "Liuxi Market Grid Service Point", t.id, quad,
                    dt.date(2025, 4, 1), staff=(0, 1), code_prefix=code)
        rows.service_points[-1].update(lon=None, lat=None, note="坐标待补录")
        t, quad = by_name["清水乡"]
        _point(rows, rng, "grid_point", "清水乡敬老院网格服务点", "Qingshui Care Home Grid Service Point", t.id, quad,
               dt.date(2025, 7, 1), staff=(0, 1), code_prefix=code)
        rows.service_points[-1].update(lon=None, lat=None)
        t, quad = by_name["南湖镇"]
        _point(rows, rng, "enterprise_station", "南湖砖厂企业爱心驿站", "Nanhu Brickworks Enterprise Station", t.id, quad,
               dt.date(2025, 9, 1), staff=(0, 1), code_prefix=code)
        # A typing slip in the longitude (14.x for 104.x): outside the county.
        rows.service_points[-1]["typo_lon"] = round(rows.service_points[-1]["lon"] - 90.0, 5)
        del sp


# --- quarterly figures -------------------------------------------------------------------------

def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def _ratio(rng: random.Random, den: int, rate: float) -> tuple[int, int]:
    num = round(den * _clip(rate + rng.uniform(-0.02, 0.02)))
    return min(num, den), den


def township_figures(rng: random.Random, t: TownshipInfo, q: int, quarters: int, year_quarter: int,
                     stock: dict) -> dict[str, tuple[float | None, float | None, float]]:
    """indicator code -> (numerator, denominator, value) for one township in quarter q (0-based)."""
    s = q / max(1, quarters - 1)  # progress through the history 0..1
    p = t.performance
    out: dict[str, tuple[float | None, float | None, float]] = {}

    def ratio(code: str, den: int, rate: float) -> None:
        if den <= 0:
            return
        num, den = _ratio(rng, den, rate)
        out[code] = (num, den, num / den)

    if t.urban_population:
        ratio("awareness_urban", max(30, round(t.urban_population * 0.012)), 0.66 + 0.1 * p + 0.08 * s)
    if t.rural_population:
        ratio("awareness_rural", max(30, round(t.rural_population * 0.012)), 0.43 + 0.1 * p + 0.09 * s)
    registered = stock.setdefault(("smd", t.id), max(2, round(t.population * rng.uniform(0.0038, 0.0052))))
    if rng.random() < 0.3:  # newly registered patients
        stock[("smd", t.id)] = registered = registered + rng.randint(0, 2)
    ratio("smd_managed", registered, 0.80 + 0.1 * p + 0.06 * s)
    ratio("rehab_participation", max(1, round(registered * 0.86)), 0.36 + 0.2 * p + 0.12 * s)
    special = stock.setdefault(("special", t.id), max(3, round(t.population * rng.uniform(0.0015, 0.0025))))
    ratio("special_counselling", special, 0.31 + 0.22 * p + 0.12 * s)
    ratio("mediation_success", max(3, round(t.population * 0.0009 * rng.uniform(0.7, 1.3))), 0.87 + 0.08 * p)
    ratio("mh_records", t.population, 0.18 + 0.1 * p + 0.3 * s)
    counsellors = stock.get(("cert", t.id), rng.randint(2, 4))
    counsellors += rng.choice((0, 1, 1, 1, 2)) if rng.random() < 0.5 + 0.4 * p else 0
    stock[("cert", t.id)] = counsellors
    out["certified_counsellors"] = (None, None, float(round(counsellors * 1.6) + rng.randint(0, 1)))
    sessions = rng.choice((0, 1, 1, 1, 2)) if p > 0.4 else rng.choice((0, 0, 1))
    out["outreach_sessions"] = (None, None, float(sessions))
    out["people_served"] = (None, None, float(round(t.population * 0.004 * (0.8 + s) * rng.uniform(0.85, 1.15))))
    out["petitions"] = (None, None, float(round(t.population * 0.0004 * (1.1 - 0.35 * s) * rng.uniform(0.8, 1.2))))
    return out


# Which department's sheet carries which figures.
DEPARTMENT_INDICATORS: dict[str, list[str]] = {
    "propaganda": ["awareness_urban", "awareness_rural"],
    "health": ["smd_managed", "rehab_participation", "mh_records"],
    "justice": ["special_counselling"],
    "zongzhi": ["people_served", "mediation_success"],
    "petition": ["petitions"],
    "union": ["certified_counsellors", "outreach_sessions"],
}
# The sample county's two late reporters, and the sheet still missing for the latest quarter.
LATE_DEPARTMENTS = ("petition", "union")
MISSING_LATEST = "union"


def build_history(rows: Rows, rng: random.Random, townships: list[TownshipInfo], periods: list[dict],
                  indicator_ids: dict[str, int], department_ids: dict[str, int], with_submissions: bool,
                  uploader_id: int | None = None) -> None:
    quarters = len(periods)
    stock: dict = {}
    for q, period in enumerate(periods):
        figures = {t.id: township_figures(rng, t, q, quarters, period["quarter"], stock) for t in townships}
        for dept, codes in DEPARTMENT_INDICATORS.items():
            latest = q == quarters - 1
            if with_submissions and latest and dept == MISSING_LATEST:
                continue
            sub_id = None
            obs = [dict(indicator_id=indicator_ids[c], region_id=t.id, period_id=period["id"],
                        numerator=figures[t.id][c][0], denominator=figures[t.id][c][1], value=figures[t.id][c][2])
                   for t in townships for c in codes if c in figures[t.id]]
            if with_submissions:
                late = dept in LATE_DEPARTMENTS and (rng.random() < 0.6 or latest)
                parsed = [dict(indicator=c, region=t.code, numerator=figures[t.id][c][0],
                               denominator=figures[t.id][c][1], value=figures[t.id][c][2])
                          for t in townships for c in codes if c in figures[t.id]]
                sub_id = _add_submission(rows, rng, period, dept, department_ids[dept], parsed, late, uploader_id)
            for o in obs:
                o["id"] = rows.new_id("observations")
                o["submission_id"] = sub_id
            rows.observations.extend(obs)
        if with_submissions and "education" in department_ids:
            # Its own generator: adding the schools' sheet must not shift the figures drawn above.
            _add_submission(rows, random.Random(period["id"]), period, "education", department_ids["education"],
                            _school_rows(rows, period["end_date"]), False, uploader_id)


def _add_submission(rows: Rows, rng: random.Random, period: dict, dept: str, dept_id: int, parsed: list[dict],
                    late: bool, uploader_id: int | None) -> int:
    """An accepted sheet as the upload would have stored it (parsed rows; the sample keeps no file bytes)."""
    sub_id = rows.new_id("submissions")
    day = period["deadline"] + dt.timedelta(days=rng.randint(3, 21)) if late \
        else period["deadline"] - dt.timedelta(days=rng.randint(0, 12))
    at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
    blob = json.dumps(parsed, ensure_ascii=False, sort_keys=True).encode()
    rows.submissions.append(dict(
        id=sub_id, department_id=dept_id, period_id=period["id"], uploaded_by=uploader_id,
        uploaded_at=at, filename=f"{period['code']}-{dept}-示例数据.xlsx", content=None,
        sha256=hashlib.sha256(blob).hexdigest(), status="accepted", superseded_by_id=None,
        parsed=parsed, problems=None, template_version="sample"))
    return sub_id


def _school_rows(rows: Rows, end: dt.date) -> list[dict]:
    """The education bureau's per-school sheet, answered as the registry stands at the quarter's end
    (school_rooms itself is counted from the registry; the sheet is the bureau's confirmation)."""
    rooms = {p["facility_id"]: p for p in rows.service_points
             if p["type"] == "school_room" and p["opened_on"] and p["opened_on"] <= end
             and (p["retired_on"] is None or p["retired_on"] > end)}
    return [dict(school=f["code"], region_id=f["region_id"], has_room=int(f["id"] in rooms),
                 teachers_full=rooms[f["id"]]["staff_full"] if f["id"] in rooms else 0,
                 teachers_part=rooms[f["id"]]["staff_part"] if f["id"] in rooms else 0)
            for f in rows.facilities if f["kind"] != "hospital"]


# --- writing -----------------------------------------------------------------------------------

SAMPLE_ACTOR = Actor(user_id=None, username="sample_data", role="admin")
# "Today" for the registry's checks (no point opened in the future): the day the sample describes.
SAMPLE_TODAY = dt.date(2026, 11, 23)


def write_geography(session: Session, rows: Rows) -> dict[int, int]:
    """The generated places, outlines and points written through the setup steps a county uses --
    put_county, the division-code load, the boundary load (as a GeoJSON layer) and the registry's
    add_points -- instead of inserted as rows. Returns generated region id -> stored id (the
    figures are generated against the former)."""
    by_id = {r["id"]: r for r in rows.regions}
    stored: dict[str, m.Region] = {}
    for r in rows.regions:
        if r["level"] in ("province", "city"):  # above a county: not a county's setup
            parent = stored.get(by_id[r["parent_id"]]["code"]) if r["parent_id"] else None
            region = m.Region(**{k: v for k, v in r.items() if k not in ("id", "parent_id", "boundary")},
                              parent_id=parent.id if parent else None)
            session.add(region)
            session.flush()
            stored[r["code"]] = region
    for county_row in (r for r in rows.regions if r["level"] == "county"):
        parent = stored.get(by_id[county_row["parent_id"]]["code"]) if county_row["parent_id"] else None
        county = put_county(session, SAMPLE_ACTOR, county_row["code"], county_row["name_zh"], county_row["name_en"],
                            parent=parent)
        county.aliases = county_row["aliases"]
        stored[county.code] = county
        below = [r for r in rows.regions if r["path"].startswith(county_row["path"]) and r is not county_row]
        places = [divisions.DivisionRow(r["code"], r["name_zh"], ("111" if r["is_urban"] else "220")
                                        if r["level"] == "village" else None, r["name_en"], tuple(r["aliases"] or ()),
                                        kind=r["kind"], population=r["population"] if r["level"] == "village" else None)
                  for r in below]
        checked = divisions.check_regions(session, SAMPLE_ACTOR, places, county=county)
        assert checked.ok, [p.message() for p in checked.errors]
        divisions.apply_regions(session, SAMPLE_ACTOR, checked, county)
        for level in ("township", "village"):
            layer = geofiles.Layer(name=f"{county.code}-{level}.geojson", format="geojson", crs=CRS.from_epsg(4326))
            for i, r in enumerate(x for x in below if x["level"] == level):
                layer.features.append(geofiles.Feature(i, {"adcode": r["code"], "name": r["name_zh"]},
                                                       shapely.geometry.shape(r["boundary"]), "Polygon"))
            found = boundaries.check_layer(session, SAMPLE_ACTOR, layer, level=level, county=county)
            assert found.ok, [p.message() for p in found.errors]
            boundaries.apply_boundaries(session, SAMPLE_ACTOR, found, county)
    session.flush()
    ids = {code: rid for code, rid in session.execute(select(m.Region.code, m.Region.id))}
    region_ids = {r["id"]: ids[r["code"]] for r in rows.regions}
    for f in rows.facilities:
        f["region_id"] = region_ids[f["region_id"]]
    _insert(session.connection(), m.Facility, rows.facilities)
    facility_codes = {f["id"]: f["code"] for f in rows.facilities}
    entries, typo = [], None
    for p in rows.service_points:
        place = by_id[p["region_id"]]
        village = place["level"] == "village"
        entries.append(dict(code=p["code"], type=p["type"], name_zh=p["name_zh"], name_en=p["name_en"],
                            township=by_id[place["parent_id"]]["code"] if village else place["code"],
                            village=place["code"] if village else None,
                            facility_code=facility_codes.get(p["facility_id"]), lon=p["lon"], lat=p["lat"],
                            opened_on=p["opened_on"], status=p["status"], staff_full=p["staff_full"],
                            staff_part=p["staff_part"], phone=p["phone"], note=p["note"]))
        if p.get("typo_lon") is not None:
            typo = (p["code"], p["typo_lon"])
            entries[-1]["lon"] = p["lon"]
    registry.add_points(session, SAMPLE_ACTOR, entries, SAMPLE_TODAY)
    if typo is not None:
        # A record from before the registry checked coordinates: the map must list it as a problem.
        session.execute(update(m.ServicePoint).where(m.ServicePoint.code == typo[0]).values(lon=typo[1]))
    return region_ids


def reference_rows() -> list[dict]:
    return [dict(id=i, code=c, name_zh=zh, name_en=en, reports_by=by, reports_quarterly=q, sort_order=i,
                 liaison_name=None, liaison_phone=None)
            for i, (c, zh, en, by, q) in enumerate(DEPARTMENTS, start=1)]


def write_catalogue(session: Session) -> dict[str, int]:
    """The sample's indicators and targets through the catalogue preset a county's setup applies
    (data_access.catalogue.apply_preset), dated for the sample's plan. Returns code -> indicator id."""
    from data_access.catalogue import apply_preset

    apply_preset(session, SAMPLE_PRESET, SAMPLE_ACTOR, target_date=TARGET_DATE, effective_from=TARGET_SET_ON,
                 note="《社会心理服务体系建设实施方案》目标", set_at=dt.datetime(2024, 1, 1, 9, 0))
    return {code: i for code, i in session.execute(select(m.Indicator.code, m.Indicator.id))}


def _preset_indicators() -> list[dict]:
    from data_access.catalogue.presets import PRESETS

    return PRESETS[SAMPLE_PRESET].indicators


def period_rows(first: str, count: int) -> list[dict]:
    out = []
    for i, code in enumerate(period_codes(first, count), start=1):
        year, quarter = int(code[:4]), int(code[-1])
        start, end = quarter_bounds(year, quarter)
        out.append(dict(id=i, code=code, year=year, quarter=quarter, start_date=start, end_date=end,
                        deadline=end + dt.timedelta(days=DEADLINE_DAYS)))
    return out


def _insert(conn, model, rows: list[dict], chunk: int = 5000) -> None:  # noqa: ANN001
    for i in range(0, len(rows), chunk):
        conn.execute(insert(model), rows[i:i + chunk])


def _reset_sequences(conn, tables: list[str]) -> None:  # noqa: ANN001
    """Ids were given explicitly; move PostgreSQL's sequences past them so the app can insert."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def clear(engine: Engine) -> None:
    """Rebuild an emptied schema (--reset of a sample database). Every table goes, whoever added it,
    and the migrations run again: the audit trail's triggers refuse row deletes, on purpose."""
    with engine.begin() as conn:
        found = MetaData()
        found.reflect(bind=conn)
        found.drop_all(bind=conn)
    upgrade_schema(engine)


@dataclass
class DatabaseState:
    users: int
    regions: int
    sample: bool   # written by this generator (the "sample_data" setting)

    @property
    def empty(self) -> bool:
        return not self.users and not self.regions


def database_state(engine: Engine) -> DatabaseState:
    with engine.connect() as conn:
        users = conn.execute(select(func.count()).select_from(m.User)).scalar_one()
        regions = conn.execute(select(func.count()).select_from(m.Region)).scalar_one()
        flag = conn.execute(select(m.Setting.value).where(m.Setting.key == "sample_data")).scalar()
    return DatabaseState(users, regions, bool(flag))


class RealDatabase(Exception):
    """The database holds accounts of a real deployment: sample data are never written into it."""


def generate(engine: Engine, counties: int = 1, seed: int = SEED, quarters: int | None = None) -> dict[str, int]:
    """Write the sample data set into an empty, migrated database. Returns row counts."""
    if database_state(engine).users:
        raise RealDatabase("the database has user accounts; sample data go only into an empty database")
    rng = random.Random(seed)
    rows = Rows()
    province = counties > 1
    quarters = quarters or (PROVINCE_QUARTERS if province else HISTORY_QUARTERS)
    first = period_codes(FIRST_PERIOD, 1)[0]
    if province:  # end on the same latest quarter as the county history
        first = period_codes("2023Q4", 1)[0] if quarters == PROVINCE_QUARTERS else first
    periods = period_rows(first, quarters + 1)  # the running quarter exists, with no sheets yet
    departments = reference_rows()
    dept_ids = {d["code"]: d["id"] for d in departments}
    # Figures are generated against indicator codes; the ids come from the catalogue once written.
    ind_ids = {spec["code"]: spec["code"] for spec in _preset_indicators()}

    all_townships: list[TownshipInfo] = []
    if not province:
        all_townships = build_county(rows, rng, COUNTY_CODE, COUNTY_NAMES[0], (104.20, 30.10), None, "/")
    else:
        p_id = rows.new_id("regions")
        rows.regions.append(dict(id=p_id, code="990000", name_zh="示例省", name_en="Sample Province", level="province",
                                 kind=None, parent_id=None, path="/990000/", is_urban=False, population=0,
                                 centroid_lon=104.0 + 3.1, centroid_lat=30.0 + 2.3, boundary=None, aliases=None,
                                 retired_on=None))
        per_city = 10
        for c in range(counties):
            city_no, county_no = c // per_city + 1, c % per_city + 1
            city_code = f"99{city_no:02d}00"
            if county_no == 1:
                city_id = rows.new_id("regions")
                rows.regions.append(dict(id=city_id, code=city_code, name_zh=f"示例{city_no}市",
                                         name_en=f"Sample City {city_no}", level="city", kind=None, parent_id=p_id,
                                         path=f"/990000/{city_code}/", is_urban=False, population=0,
                                         centroid_lon=None, centroid_lat=None, boundary=None, aliases=None,
                                         retired_on=None))
            cname = COUNTY_NAMES[county_no - 1]
            name = (f"{cname[0]}{city_no}", f"{cname[1]} {city_no}")
            origin = (100.0 + (c % 10) * 0.62, 28.0 + (c // 10) * 0.46)
            all_townships += build_county(rows, rng, f"99{city_no:02d}{county_no:02d}", name, origin, city_id,
                                          f"/990000/{city_code}/", province=True)
    history = periods[:-1]
    build_history(rows, rng, all_townships, history, ind_ids, dept_ids, with_submissions=not province)

    with Session(engine) as session, session.begin():
        conn = session.connection()
        _insert(conn, m.Department, departments)
        stored_ids = write_catalogue(session)
        for row in rows.observations:
            row["indicator_id"] = stored_ids[row["indicator_id"]]
        _insert(conn, m.Period, periods)
        # The geography goes through the setup steps a county uses (regions, boundaries, points).
        region_ids = write_geography(session, rows)
        for row in rows.observations:
            row["region_id"] = region_ids[row["region_id"]]
        _insert(conn, m.Submission, rows.submissions)
        _insert(conn, m.Observation, rows.observations)
        conn.execute(insert(m.Setting), [dict(key="sample_data", value=True),
                                         dict(key="deployment_root", value=rows.regions[0]["code"])])
        _reset_sequences(conn, ["departments", "indicators", "targets", "periods", "regions", "facilities",
                                "service_points", "submissions", "observations"])
    _after_generate(engine)
    if not province:
        sample_steering(engine)
    return {"regions": len(rows.regions), "villages": sum(r["level"] == "village" for r in rows.regions),
            "facilities": len(rows.facilities), "service_points": len(rows.service_points),
            "observations": len(rows.observations), "submissions": len(rows.submissions),
            "periods": len(periods)}


# The oldest quarters of the sample are signed off (已审核, locked); later ones wait for review, so the
# sample's uploads for 2025Q2 onwards still go in.
SAMPLE_APPROVED = ("2024Q4", "2025Q1")


def sample_steering(engine: Engine) -> None:
    """What the leading group did with the figures: approved quarters (through data_access, audited as
    the demo administrator when there is one)."""
    from data_access import approval

    with Session(engine) as session:
        admin = session.scalar(select(m.User).where(m.User.username == "admin"))
        actor = Actor(admin.id, admin.username, admin.role) if admin else Actor(None, "sample-data", "admin")
        have = set(session.scalars(select(m.Period.code).where(m.Period.end_date < dt.date.today())))
    for code in SAMPLE_APPROVED:
        if code in have:
            approval.approve(engine, actor, code, note="示例：各部门数据已核对")
    sample_assessment(engine, actor)


# A plausible 考核方案 (seed 001: "量化打分考核，根据得分拨付资金"), the same for both years.
SAMPLE_TOWNSHIP_ITEMS = [
    dict(kind="indicator", indicator_code="room_coverage", points=20, rule="proportional", floor=0.5),
    dict(kind="indicator", indicator_code="smd_managed", points=25, rule="proportional", floor=0.7),
    dict(kind="indicator", indicator_code="rehab_participation", points=20, rule="proportional", floor=0.4),
    dict(kind="indicator", indicator_code="special_counselling", points=20, rule="target"),
    dict(kind="indicator", indicator_code="school_rooms", points=15, rule="target"),
]
SAMPLE_DEPARTMENT_ITEMS = [
    dict(kind="reporting", points=15, rule="deduction", deduction=3),
    dict(kind="tasks", points=10, rule="deduction", deduction=2),
    dict(kind="indicator", indicator_code="smd_managed", points=15, rule="target"),
    dict(kind="indicator", indicator_code="school_rooms", points=15, rule="target"),
    dict(kind="indicator", indicator_code="special_counselling", points=15, rule="proportional", floor=0.4),
    dict(kind="indicator", indicator_code="awareness_urban", points=15, rule="proportional", floor=0.6),
    dict(kind="indicator", indicator_code="certified_counsellors", points=15, rule="proportional", floor=100),
]


def sample_assessment(engine: Engine, admin: Actor) -> None:
    """The sample's schemes for 2025 and 2026 and a few leaders' adjustments, through data_access."""
    from data_access.assessment import schemes

    with Session(engine) as session:
        years = sorted(set(session.scalars(select(m.Period.year).where(m.Period.end_date < dt.date.today()))))
        leader = session.scalar(select(m.User).where(m.User.username == "leader"))
        townships = list(session.scalars(select(m.Region.code).where(m.Region.level == "township")
                                         .order_by(m.Region.code)))
    leader_actor = Actor(leader.id, leader.username, leader.role) if leader else admin
    for year in years[-2:]:
        schemes.save_scheme(engine, admin, year, "township", SAMPLE_TOWNSHIP_ITEMS,
                            note="示例方案：得分作为以奖代补资金拨付依据")
        schemes.save_scheme(engine, admin, year, "department", SAMPLE_DEPARTMENT_ITEMS)
    if years and len(townships) >= 3:
        year = years[-2] if len(years) > 1 else years[-1]
        schemes.add_adjustment(engine, leader_actor, year, "township", townships[1], 2,
                               "承办全县心理健康宣传月活动，成效突出")
        schemes.add_adjustment(engine, leader_actor, year, "township", townships[2], -1,
                               "第二季度数据核查发现填报错误一次")
        schemes.add_adjustment(engine, leader_actor, year, "department", "health", 1,
                               "牵头完成严重精神障碍患者随访专项行动")


def _after_generate(engine: Engine) -> None:
    """Hooks other modules add to the sample (demo users). Imported lazily: they may not exist yet."""
    try:
        from data_access import users
    except ImportError:
        return
    seed_demo = getattr(users, "seed_demo_users", None)
    if seed_demo:
        seed_demo(engine)
    # Tasks, meetings and comments (issue 16), so a new user sees them filled.
    from sample_data.followup import write_followup

    write_followup(engine, SAMPLE_ACTOR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_data.generate",
                                     description="生成示例数据 / Generate the sample data set")
    parser.add_argument("--counties", type=int, default=1, help="1 = the sample county; 100 = province scale")
    parser.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/dashboard.sqlite")
    parser.add_argument("--quarters", type=int, default=None, help="quarters of history")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reset", action="store_true",
                        help="rebuild a sample database (refused for a database with real data or accounts)")
    parser.add_argument("--if-empty", action="store_true",
                        help="seed only a database empty of data and accounts; leave any other as it is (make demo)")
    parser.add_argument("--local-sample", action="store_true",
                        help="make run: seed the local sample database (var/dashboard.sqlite, DATABASE_URL not set) "
                             "when it is new; any other database is left as it is")
    args = parser.parse_args(argv)
    if args.counties < 1:
        parser.error("--counties must be at least 1")
    gentle = args.if_empty or args.local_sample  # make run / make demo: never an error, never a change
    if args.local_sample and (args.database_url or os.environ.get("DATABASE_URL")):
        print("已设置 DATABASE_URL：不写入示例数据（如需演示数据请用 make demo）/ "
              "DATABASE_URL is set: no sample data written (make demo writes them into an empty database).")
        return 0
    engine = make_engine(args.database_url)
    started = time.perf_counter()
    upgrade_schema(engine)
    state = database_state(engine)
    if state.users and not state.sample:
        print("该数据库已有正式账号：示例数据和演示账号从不写入正式数据库，未改动。/ "
              "This database has real accounts: sample data and demo accounts are never written into it; "
              "left as it is.", file=sys.stdout if gentle else sys.stderr)
        return 0 if gentle else 2
    if not state.empty:
        if gentle:
            print("数据库已有数据，未改动 / The database has data; left as it is.")
            return 0
        if not args.reset:
            print("数据库已有数据；如需重建请加 --reset / The database has data; add --reset to rebuild.",
                  file=sys.stderr)
            return 2
        if not state.sample:
            print("该数据库不是示例数据库，--reset 不会清空它 / This is not a sample database; --reset will not "
                  "empty it.", file=sys.stderr)
            return 2
        clear(engine)
    counts = generate(engine, counties=args.counties, seed=args.seed, quarters=args.quarters)
    took = time.perf_counter() - started
    print(" ".join(f"{k}={v}" for k, v in counts.items()), f"seconds={took:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
