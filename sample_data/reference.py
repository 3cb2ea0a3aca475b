"""Reference data every deployment starts with: departments, the indicator catalogue with the
targets of the county implementation plan (seed 003), and the reporting calendar."""
from __future__ import annotations

import datetime as dt

from data_access.setup.departments import STANDARD_DEPARTMENTS

# The sample county starts from the same standard departments as any county set up by hand.
DEPARTMENTS = STANDARD_DEPARTMENTS

# Indicator catalogue. Ratios are stored as fractions (0.8 = 80 %).
# code, 中文, English, kind, unit, owner, source, level, is_target, higher_is_better, accumulate,
# numerator label zh/en, denominator label zh/en
INDICATORS: list[dict] = [
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
         owner="zongzhi", source="registry", level="village",
         num=("已建室村（社区）数", "Villages with a room"), den=("村（社区）总数", "Villages")),
    dict(code="school_rooms", name_zh="中小学心理辅导室设置率",
         name_en="Schools with a counselling room", kind="ratio", unit="%",
         owner="education", source="registry", level="township",
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
         owner="health", source="registry", level="township",
         num=("已开设心理门诊医院数", "Hospitals with a clinic"), den=("列名医院数", "Listed hospitals")),
    dict(code="hotline_24h", name_zh="24小时心理援助热线开通",
         name_en="24-hour psychological assistance hotline in service", kind="yesno", unit="",
         owner="health", source="registry", level="county"),
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

# Targets of seed 003 (靖安县实施方案), dated for the sample county's plan period.
# code: (value, comparison, near band)
TARGETS: dict[str, tuple[float, str, float]] = {
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
TARGET_DATE = dt.date(2026, 12, 31)
TARGET_SET_ON = dt.date(2024, 1, 1)

DEADLINE_DAYS = 15  # a quarter's sheet is due 15 days after the quarter ends


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def period_codes(first: str, count: int) -> list[str]:
    year, quarter = int(first[:4]), int(first[-1])
    codes = []
    for _ in range(count):
        codes.append(f"{year}Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return codes
