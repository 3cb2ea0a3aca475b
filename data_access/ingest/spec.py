"""What one department's quarterly sheet holds, built from the indicator catalogue in the database.

The columns follow indicators.owner_department_id + source == "report", so when an administrator
adds, renames or moves an indicator, the next template and the reader follow without a code change.
One row is one township (or village, or school, as departments.reports_by says).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.catalogue.point_types import school_kinds

TEMPLATE_VERSION = "2026.1"
REGION_LEVELS = ("township", "village")  # reports_by values read as regions

# Column roles.
CODE, NAME, NUM, DEN, RATE, COUNT, YESNO, INFO = "code", "name", "num", "den", "rate", "count", "yesno", "info"


@dataclass(frozen=True)
class Column:
    key: str                    # "code", "name", "smd_managed:num", "school:has_room", ...
    label_zh: str
    label_en: str
    role: str
    indicator: str | None = None
    group_zh: str = ""          # the indicator name over its columns (first header row)
    group_en: str = ""
    in_template: bool = True    # an optional rate column is read but not offered
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    """One expected row: a region (township / village) or a school."""

    id: int
    code: str
    name_zh: str
    name_en: str
    region_id: int
    region_name_zh: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    unit: str


@dataclass
class SheetSpec:
    department_id: int
    department_code: str
    department_name_zh: str
    department_name_en: str
    period_id: int
    period_code: str
    reports_by: str
    columns: list[Column]
    entities: list[Entity]
    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)

    @property
    def template_columns(self) -> list[Column]:
        return [c for c in self.columns if c.in_template]

    @property
    def signature(self) -> str:
        """Short hash of the column keys: the hidden sheet records which layout a template had."""
        return hashlib.sha1("|".join(c.key for c in self.template_columns).encode()).hexdigest()[:10]

    @property
    def writes_observations(self) -> bool:
        return self.reports_by in REGION_LEVELS and bool(self.indicators)


class SpecError(Exception):
    """A department/period the sheet cannot be built for; key is the catalogue message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# --- text normalisation, shared by the reader ----------------------------------------------------

_TRAD = str.maketrans({"鎮": "镇", "鄉": "乡", "區": "区", "衛": "卫", "數": "数", "綜": "综", "縣": "县",
                       "園": "园", "開": "开", "發": "发", "經": "经", "濟": "济", "東": "东", "門": "门",
                       "嶺": "岭", "灣": "湾", "鳳": "凤", "鳴": "鸣", "黃": "黄", "龍": "龙", "陽": "阳"})
_BRACKETS = re.compile(r"[\(\[【][^\)\]】]*[\)\]】]")
_SPACE = re.compile(r"\s+")


def norm(text: object) -> str:
    """Full-width to half-width (NFKC), traditional forms of common place-name characters, no spaces."""
    if text is None:
        return ""
    s = str(text)
    if s.isascii():  # codes and numbers: NFKC and the character table change nothing
        return "".join(s.split()).lower()
    s = unicodedata.normalize("NFKC", s).translate(_TRAD)
    return _SPACE.sub("", s).strip().lower()


def norm_label(text: object) -> str:
    """A header as compared: normalised, units in brackets dropped ("在册患者数（人）" -> "在册患者数")."""
    s = norm(text)
    stripped = _BRACKETS.sub("", s)
    return (stripped or s).rstrip(":：*")


_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡", "社区", "村")


def place_keys(name: str) -> set[str]:
    """Spellings a place may be written in: full, without 镇/乡/街道 suffix."""
    n = norm(name)
    keys = {n}
    for suffix in _SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix) + 1:
            keys.add(n[: -len(suffix)])
    return keys


# --- building the spec ---------------------------------------------------------------------------

def report_indicators(session: Session, department_id: int, per_facility: bool = False) -> list[m.Indicator]:
    """The department's reported indicators in use: those filed per region, or (per_facility) those
    filed per school on its per-facility sheet."""
    level = m.Indicator.level == "facility"
    return list(session.scalars(
        select(m.Indicator).where(m.Indicator.owner_department_id == department_id, m.Indicator.source == "report",
                                  m.Indicator.retired_on.is_(None), level if per_facility else ~level)
        .order_by(m.Indicator.sort_order, m.Indicator.id)))


def _value_column(ind: m.Indicator) -> Column:
    """The one column of a count or yes/no indicator."""
    if ind.kind == "yesno":
        return Column(f"{ind.code}:value", ind.name_zh, ind.name_en, YESNO, ind.code, ind.name_zh, ind.name_en)
    unit = f"（{ind.unit}）" if ind.unit else ""
    return Column(f"{ind.code}:value", f"{ind.name_zh}{unit}", ind.name_en, COUNT, ind.code,
                  ind.name_zh, ind.name_en, aliases=(ind.name_zh,))


def build_spec(session: Session, department: m.Department | str, period: m.Period | str) -> SheetSpec:
    if isinstance(department, str):
        found = session.scalar(select(m.Department).where(m.Department.code == department))
        if found is None:
            raise SpecError("ingest.err.unknown_department", department=department)
        department = found
    if isinstance(period, str):
        found_p = session.scalar(select(m.Period).where(m.Period.code == period))
        if found_p is None:
            raise SpecError("ingest.err.unknown_period", period=period)
        period = found_p
    by = department.reports_by or "township"
    if by == "school":
        return _school_spec(session, department, period)
    if by not in REGION_LEVELS:
        raise SpecError("ingest.err.no_sheet_for_department", department=department.name_zh)
    inds = report_indicators(session, department.id)
    if not inds:
        raise SpecError("ingest.err.no_sheet_for_department", department=department.name_zh)
    level_zh, level_en = ("乡镇（街道）", "Township") if by == "township" else ("村（社区）", "Village / community")
    columns = [Column(CODE, "区划代码", "Area code", CODE, aliases=("代码", "编码", "code", "乡镇代码", "行政区划代码")),
               Column(NAME, f"{level_zh}名称", f"{level_en} name", NAME,
                      aliases=(level_zh, "乡镇", "乡镇名称", "乡镇(街道)", "乡镇街道", "单位", "地区", "名称",
                               "村(社区)", "村社区", "村", "township", "name"))]
    labels_seen: dict[str, int] = {}
    for ind in inds:
        for lab in (ind.numerator_label_zh, ind.denominator_label_zh):
            if lab:
                labels_seen[norm_label(lab)] = labels_seen.get(norm_label(lab), 0) + 1
    for ind in inds:
        g_zh, g_en = ind.name_zh, ind.name_en
        if ind.kind == "ratio":
            num_zh = ind.numerator_label_zh or f"{ind.name_zh}分子"
            den_zh = ind.denominator_label_zh or f"{ind.name_zh}分母"
            # Two indicators with the same label ("人数") get the indicator name in front.
            if labels_seen.get(norm_label(num_zh), 0) > 1:
                num_zh = f"{ind.name_zh}{num_zh}"
            if labels_seen.get(norm_label(den_zh), 0) > 1:
                den_zh = f"{ind.name_zh}{den_zh}"
            columns.append(Column(f"{ind.code}:num", num_zh, ind.numerator_label_en or f"{ind.name_en} numerator",
                                  NUM, ind.code, g_zh, g_en))
            columns.append(Column(f"{ind.code}:den", den_zh, ind.denominator_label_en or f"{ind.name_en} denominator",
                                  DEN, ind.code, g_zh, g_en))
            columns.append(Column(f"{ind.code}:rate", ind.name_zh, ind.name_en, RATE, ind.code, g_zh, g_en,
                                  in_template=False, aliases=(f"{ind.name_zh}(%)",)))
        else:
            columns.append(_value_column(ind))
    # Plain rows, not ORM objects: a per-village sheet has tens of thousands of them.
    regions = session.execute(select(m.Region.id, m.Region.code, m.Region.name_zh, m.Region.name_en, m.Region.aliases)
                              .where(m.Region.level == by, m.Region.retired_on.is_(None)).order_by(m.Region.code))
    entities = [region_entity(r) for r in regions]
    info = {i.code: IndicatorInfo(i.id, i.code, i.kind, i.name_zh, i.name_en, i.unit) for i in inds}
    return SheetSpec(department.id, department.code, department.name_zh, department.name_en, period.id, period.code,
                     by, columns, entities, info)


def region_entity(r: Any) -> Entity:
    """A region (model row or result row with id, code, names, aliases) as an expected sheet row."""
    return Entity(r.id, r.code, r.name_zh, r.name_en, r.id, aliases=tuple(r.aliases or ()))


def _school_spec(session: Session, department: m.Department, period: m.Period) -> SheetSpec:
    """Education: one row per school, counselling room yes/no and teachers. The school_rooms indicator
    itself comes from the service-point registry; the sheet is kept and compared with it. Indicators
    the department reports per school (level "facility") add a column each; their figures are
    stored per school (facility_observations)."""
    columns = [Column(CODE, "学校代码", "School code", CODE, aliases=("代码", "编码", "code")),
               Column(NAME, "学校名称", "School name", NAME, aliases=("学校", "名称", "school")),
               Column("township", "所属乡镇（街道）", "Township", INFO, aliases=("乡镇", "所属乡镇", "乡镇(街道)")),
               Column("school:has_room", "是否设置心理辅导室", "Has a counselling room", YESNO,
                      group_zh="心理辅导室", group_en="Counselling room", aliases=("心理辅导室", "是否设置辅导室")),
               Column("school:teachers_full", "专职心理教师数（人）", "Full-time psychology teachers", COUNT,
                      group_zh="心理教师", group_en="Psychology teachers", aliases=("专职心理教师", "专职教师数")),
               Column("school:teachers_part", "兼职心理教师数（人）", "Part-time psychology teachers", COUNT,
                      group_zh="心理教师", group_en="Psychology teachers", aliases=("兼职心理教师", "兼职教师数"))]
    per_school = report_indicators(session, department.id, per_facility=True)
    columns += [_value_column(ind) for ind in per_school]
    rows = session.execute(
        select(m.Facility, m.Region.name_zh).join(m.Region, m.Region.id == m.Facility.region_id)
        .where(m.Facility.kind.in_(school_kinds(session)), m.Facility.closed_on.is_(None))
        .order_by(m.Region.code, m.Facility.code)).all()
    entities = [Entity(f.id, f.code, f.name_zh, f.name_en, f.region_id, region_name_zh=t_name) for f, t_name in rows]
    info = {i.code: IndicatorInfo(i.id, i.code, i.kind, i.name_zh, i.name_en, i.unit) for i in per_school}
    return SheetSpec(department.id, department.code, department.name_zh, department.name_en, period.id, period.code,
                     "school", columns, entities, info)
