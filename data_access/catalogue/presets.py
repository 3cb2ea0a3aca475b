"""Catalogues a new county starts from, editable afterwards on the admin page (指标与目标).

    national-pilot   the national pilot plan's target indicators (PRODUCT.md) with the targets of
                     seed 003's county implementation plan, and the outcome figures pilot areas
                     report beside them. The sample county is generated from it.
    seed-003         the same, written as seed 003 writes its plan: dated steps (2019-2021), the
                     双百计划 as two counts under one heading, and the per-unit minimum "every
                     township has at least one certified counsellor".

apply_preset adds what the database lacks (by code) and never overwrites an indicator or target an
administrator has set: running it again, or after edits, changes nothing that exists.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.access import Actor, require
from data_access.admin import InvalidInput, set_target_in
from data_access.catalogue import point_types
from data_access.catalogue.edit import create_indicator_in

ROOMS = ["village_room", "social_work_room"]

# Ratios are stored as fractions (0.8 = 80 %). "num"/"den": the template's column labels (zh, en).
NATIONAL_PILOT: list[dict[str, Any]] = [
    dict(code="awareness_urban", name_zh="城市普通人群心理健康核心知识知晓率",
         name_en="Urban residents' mental-health literacy rate", kind="ratio", unit="%",
         owner="propaganda", source="report", level="township",
         num=("城镇知晓人数", "Urban respondents aware"), den=("城镇受访人数", "Urban respondents")),
    dict(code="awareness_rural", name_zh="农村普通人群心理健康核心知识知晓率",
         name_en="Rural residents' mental-health literacy rate", kind="ratio", unit="%",
         owner="propaganda", source="report", level="township",
         num=("农村知晓人数", "Rural respondents aware"), den=("农村受访人数", "Rural respondents")),
    dict(code="room_coverage", name_zh="村（社区）心理咨询室或社会工作室建成率",
         name_en="Villages/communities with a counselling or social-work room", kind="ratio", unit="%",
         owner="zongzhi", source="registry",
         rule={"type": "share", "unit": "village", "point_types": ROOMS},
         num=("已建室村（社区）数", "Villages with a room"), den=("村（社区）总数", "Villages")),
    dict(code="school_rooms", name_zh="中小学心理辅导室设置率",
         name_en="Schools with a counselling room", kind="ratio", unit="%",
         owner="education", source="registry",
         rule={"type": "share", "unit": "facility", "facility_kinds": ["primary_school", "secondary_school"],
               "listed_only": False, "point_types": ["school_room"]},
         num=("已设辅导室学校数", "Schools with a room"), den=("中小学校总数", "Schools")),
    dict(code="special_counselling", name_zh="特殊人群个性化心理疏导率",
         name_en="Special populations given individual counselling", kind="ratio", unit="%",
         owner="justice", source="report", level="township",
         num=("接受个性化疏导人数", "Counselled"), den=("特殊人群总数", "Special population")),
    dict(code="smd_managed", name_zh="严重精神障碍患者规范管理率",
         name_en="Severe-mental-disorder patients under standardised management", kind="ratio", unit="%",
         owner="health", source="report", level="township",
         num=("规范管理患者数", "Patients under management"), den=("在册患者数", "Registered patients")),
    dict(code="rehab_participation", name_zh="居家患者社区康复参与率",
         name_en="Home patients in community rehabilitation", kind="ratio", unit="%",
         owner="health", source="report", level="township",
         num=("参加社区康复人数", "In community rehabilitation"), den=("居家患者数", "Home patients")),
    dict(code="hospital_clinics", name_zh="主要医院心理门诊开设率",
         name_en="Listed hospitals with a psychology clinic", kind="ratio", unit="%",
         owner="health", source="registry",
         rule={"type": "share", "unit": "facility", "facility_kinds": ["hospital"], "listed_only": True,
               "point_types": ["hospital_clinic"]},
         num=("已开设心理门诊医院数", "Hospitals with a clinic"), den=("列名医院数", "Listed hospitals")),
    dict(code="hotline_24h", name_zh="24小时心理援助热线开通",
         name_en="24-hour psychological assistance hotline in service", kind="yesno", unit="",
         owner="health", source="registry", rule={"type": "exists", "point_types": ["hotline"]}),
    dict(code="certified_counsellors", name_zh="持证心理咨询师和家庭教育指导师人数（“两个一百”）",
         name_en="Certified counsellors and family-education instructors (\"two hundred\" plan)",
         kind="count", unit="人", owner="union", source="report", level="township"),
    dict(code="outreach_sessions", name_zh="心理健康讲座和团体辅导场次（年度累计）",
         name_en="Lectures and group sessions held (year to date)", kind="count", unit="场",
         owner="union", source="report", level="township", accumulate="ytd"),
    # Outcome figures shown beside the targets (seeds 001, 004).
    dict(code="people_served", name_zh="心理服务人次", name_en="People served", kind="count", unit="人次",
         owner="zongzhi", source="report", level="township", is_target=False),
    dict(code="mediation_success", name_zh="矛盾纠纷调解成功率", name_en="Dispute mediation success rate",
         kind="ratio", unit="%", owner="zongzhi", source="report", level="township", is_target=False,
         num=("调解成功件数", "Disputes resolved"), den=("调解矛盾纠纷件数", "Disputes mediated")),
    dict(code="petitions", name_zh="信访件数", name_en="Petitions received", kind="count", unit="件",
         owner="petition", source="report", level="township", is_target=False, higher_is_better=False),
    dict(code="mh_records", name_zh="居民心理健康档案覆盖率", name_en="Residents with a mental-health record",
         kind="ratio", unit="%", owner="health", source="report", level="township", is_target=False,
         num=("建档人数", "Residents with a record"), den=("常住人口", "Resident population")),
]

# code: (value, comparison, near band) -- seed 003's targets (靖安县实施方案).
NATIONAL_PILOT_TARGETS: dict[str, tuple[float, str, float]] = {
    "awareness_urban": (0.80, ">=", 0.05),
    "awareness_rural": (0.60, ">=", 0.05),
    "room_coverage": (0.80, ">=", 0.10),
    "school_rooms": (1.00, ">=", 0.10),
    "special_counselling": (0.60, ">=", 0.10),
    "smd_managed": (0.90, ">=", 0.05),
    "rehab_participation": (0.60, ">=", 0.10),
    "hospital_clinics": (1.00, ">=", 0.34),
    "hotline_24h": (1.0, ">=", 0.0),
    "certified_counsellors": (200, ">=", 0.10),
    "outreach_sessions": (40, ">=", 0.10),
}

SHUANGBAI = ("双百计划", "\"Two hundred\" plan")


def _seed_003() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Seed 003 as written: kindergartens among the schools, staged dates, 双百计划 as two counts,
    one certified counsellor in every township, petitions judged year on year."""
    inds = []
    for spec in NATIONAL_PILOT:
        spec = dict(spec)
        if spec["code"] == "school_rooms":
            spec["name_zh"], spec["name_en"] = "中小学（幼儿园）心理辅导室设置率", "Schools and kindergartens with a counselling room"
            spec["rule"] = dict(spec["rule"], facility_kinds=["primary_school", "secondary_school", "kindergarten"])
        if spec["code"] == "certified_counsellors":
            spec.update(name_zh="持证心理咨询师人数", name_en="Certified psychological counsellors",
                        group=SHUANGBAI)
        if spec["code"] == "petitions":
            spec["compare_with"] = "year_ago"
        inds.append(spec)
        if spec["code"] == "certified_counsellors":
            inds.append(dict(code="family_instructors", name_zh="家庭教育指导师人数",
                             name_en="Family-education instructors", kind="count", unit="人", owner="education",
                             source="report", level="township", group=SHUANGBAI))
            inds.append(dict(code="township_counsellor", name_zh="有持证心理咨询师的乡镇（街道）占比",
                             name_en="Townships with a certified counsellor", kind="ratio", unit="%",
                             owner="union", source="registry",
                             rule={"type": "units_meeting", "indicator": "certified_counsellors", "minimum": 1,
                                   "unit": "township"},
                             num=("有持证咨询师的乡镇数", "Townships with a counsellor"),
                             den=("乡镇总数", "Townships")))
    steps = {
        "awareness_urban": [("2019-12-31", 0.5), ("2020-12-31", 0.65), ("2021-12-31", 0.8)],
        "awareness_rural": [("2019-12-31", 0.4), ("2020-12-31", 0.5), ("2021-12-31", 0.6)],
        "room_coverage": [("2019-12-31", 0.3), ("2020-12-31", 0.5), ("2021-12-31", 0.8)],
    }
    targets: dict[str, dict[str, Any]] = {}
    for code, (value, comparison, band) in NATIONAL_PILOT_TARGETS.items():
        targets[code] = dict(value=value, comparison=comparison, near_band=band, steps=steps.get(code))
    targets["certified_counsellors"] = dict(value=100, comparison=">=", near_band=0.1)
    targets["family_instructors"] = dict(value=100, comparison=">=", near_band=0.1)
    targets["township_counsellor"] = dict(value=1.0, comparison=">=", near_band=0.1)
    return inds, targets


@dataclass
class Preset:
    key: str
    name_zh: str
    name_en: str
    indicators: list[dict[str, Any]]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "national-pilot": Preset("national-pilot", "全国社会心理服务体系建设试点目标", "National pilot targets",
                             NATIONAL_PILOT, {c: dict(value=v, comparison=cmp, near_band=b)
                                              for c, (v, cmp, b) in NATIONAL_PILOT_TARGETS.items()}),
    "seed-003": Preset("seed-003", "县级实施方案（分年度目标、双百计划）",
                       "County implementation plan (staged targets, two-hundred plan)", *_seed_003()),
}


@dataclass
class PresetResult:
    created: list[str] = field(default_factory=list)       # indicator codes added
    kept: list[str] = field(default_factory=list)          # already there: left as the administrator set them
    targets: list[str] = field(default_factory=list)       # targets added
    no_owner: list[str] = field(default_factory=list)      # owner department missing: assign on the admin page
    point_types: list[str] = field(default_factory=list)   # standard types and kinds added


def _fields(spec: dict[str, Any], owners: dict[str, int]) -> dict[str, Any]:
    num, den = spec.get("num", (None, None)), spec.get("den", (None, None))
    group = spec.get("group", (None, None))
    return dict(name_zh=spec["name_zh"], name_en=spec["name_en"], kind=spec["kind"], unit=spec.get("unit", ""),
                owner_department_id=owners.get(spec.get("owner", "")), level=spec.get("level", "township"),
                is_target=spec.get("is_target", True), higher_is_better=spec.get("higher_is_better", True),
                accumulate=spec.get("accumulate", "none"), compare_with=spec.get("compare_with", "previous"),
                numerator_label_zh=num[0], numerator_label_en=num[1], denominator_label_zh=den[0],
                denominator_label_en=den[1], group_zh=group[0], group_en=group[1], rule=spec.get("rule"))


def apply_preset(session: Session, preset: str, actor: Actor | None, *, target_date: dt.date | None = None,
                 effective_from: dt.date | None = None, note: str | None = None,
                 set_at: dt.datetime | None = None) -> PresetResult:
    """Add a preset's point types, indicators and targets that the database lacks, through the same
    writes as the admin page (role checked, each audited). A target without dated steps of its own is
    due on `target_date` (default: the end of this year) and in force from `effective_from` (default:
    the first day of this year). Raises InvalidInput for an unknown preset."""
    require(actor, "reference.edit")
    found = PRESETS.get(preset)
    if found is None:
        raise InvalidInput("catalogue.err.preset", preset=preset, presets=", ".join(PRESETS))
    today = dt.date.today()
    target_date = target_date or dt.date(today.year, 12, 31)
    effective_from = effective_from or dt.date(today.year, 1, 1)
    result = PresetResult(point_types=point_types.ensure_standard(session))
    owners = dict(session.execute(select(m.Department.code, m.Department.id)).all())
    have = set(session.scalars(select(m.Indicator.code)))
    created: dict[str, m.Indicator] = {}
    for spec in found.indicators:
        if spec["code"] in have:
            result.kept.append(spec["code"])
            continue
        ind = create_indicator_in(session, actor, spec["code"], spec["source"], _fields(spec, owners))
        created[ind.code] = ind
        result.created.append(ind.code)
        if spec.get("owner") and spec["owner"] not in owners:
            result.no_owner.append(ind.code)
    for code, target in found.targets.items():
        ind = created.get(code)
        if ind is None:
            continue
        steps = [(dt.date.fromisoformat(d), v) for d, v in target.get("steps") or []] or None
        due = max(d for d, _ in steps) if steps else target_date
        start = min(effective_from, min(d for d, _ in steps) - dt.timedelta(days=365)) if steps else effective_from
        set_target_in(session, actor, ind, value=steps[-1][1] if steps else target["value"],
                      comparison=target["comparison"], target_date=due, effective_from=start,
                      near_band=target["near_band"], note=note or found.name_zh, steps=steps, set_at=set_at)
        result.targets.append(code)
    return result
