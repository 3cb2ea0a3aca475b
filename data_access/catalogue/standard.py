"""The standard service-point types and facility kinds every deployment starts with (the
migration catalogue_1 writes them into an existing database; presets make sure they are there).
Afterwards they are data: an administrator renames them, edits their aliases and adds a county's own.

Aliases are what registry sheets write in the type column. "心理咨询室" alone stays the village room,
as it always was; a county whose sheets use it for school or police rooms moves it on the admin page.
"""
from __future__ import annotations

# (code, 中文, English, aliases, facility kinds a point of the type belongs to)
POINT_TYPES: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("county_centre", "县社会心理服务中心", "County centre", ("县级中心", "心理服务中心"), ()),
    ("township_station", "乡镇（街道）社会心理服务站", "Township station",
     ("乡镇服务站", "街道服务站", "心理服务站"), ()),
    ("village_room", "村（社区）心理咨询室", "Village counselling room",
     ("心理咨询室", "村心理咨询室", "社区心理咨询室"), ()),
    ("social_work_room", "村（社区）社会工作室", "Social-work room", ("社会工作室", "社工室"), ()),
    ("school_room", "中小学心理辅导室", "School counselling room", ("心理辅导室", "学校心理辅导室"),
     ("primary_school", "secondary_school", "kindergarten")),
    ("hospital_clinic", "医院心理门诊", "Hospital psychology clinic", ("心理门诊",),
     ("hospital", "township_health_centre")),
    ("police_room", "公安心理服务室", "Police service room", ("公安",), ()),
    ("petition_room", "信访心理服务室", "Petition-office room", ("信访",), ()),
    ("court_room", "法院心理服务室", "Court service room", ("法院",), ()),
    ("enterprise_station", "企业爱心驿站", "Enterprise station", ("爱心驿站",), ()),
    ("grid_point", "网格服务点", "Grid service point", ("网格", "网格员"), ()),
    ("hotline", "24小时心理援助热线", "24-hour hotline", ("热线",), ()),
    ("office_room", "机关心理服务室", "Government-office psychological service room",
     ("机关单位心理服务室", "局委办心理服务室"), ()),
    ("mediation_centre", "综治中心（矛盾纠纷调处中心）", "Comprehensive governance / dispute mediation centre",
     ("综治中心", "矛盾纠纷调处中心", "矛调中心", "矛盾纠纷多元化解中心"), ()),
    ("family_education_point", "家庭教育服务点", "Family-education service point",
     ("家庭教育指导站", "家长学校"), ()),
]

# (code, 中文, English, category, aliases)
FACILITY_KINDS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("primary_school", "小学", "Primary school", "school", ("小学",)),
    ("secondary_school", "中学", "Secondary school", "school", ("中学", "初中", "高中")),
    ("kindergarten", "幼儿园", "Kindergarten", "school", ("幼儿园",)),
    ("hospital", "医院", "Hospital", "hospital", ("医院",)),
    ("township_health_centre", "乡镇卫生院", "Township health centre", "hospital", ("卫生院", "社区卫生服务中心")),
]
