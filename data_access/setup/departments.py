"""Step 4: the departments of the leading group, and who reports for each.

A county starts from the usual members of a leading group for the social psychological service
system (seeds 000-004 name much the same dozen-and-a-half units); the seven that hand in a sheet
every quarter report, the rest sit in the group. An administrator renames, adds and sets
liaisons afterwards on the departments page -- all through data_access.admin's writes.
"""
from __future__ import annotations

from sqlalchemy import Engine, select

from data_access import admin
from data_access import models as m
from data_access.access import Actor, require
from data_access.db import session_scope

# (code, 中文, English, reports_by, reports_quarterly)
STANDARD_DEPARTMENTS: list[tuple[str, str, str, str, bool]] = [
    ("zongzhi", "县委政法委（综治中心）", "Political-Legal Committee (Comprehensive Governance Centre)", "township", True),
    ("health", "县卫生健康委员会", "Health Commission", "township", True),
    ("education", "县教育局", "Education Bureau", "school", True),
    ("justice", "县司法局", "Justice Bureau", "township", True),
    ("petition", "县信访局", "Petition Bureau", "township", True),
    ("union", "县总工会", "Federation of Trade Unions", "township", True),
    ("propaganda", "县委宣传部", "Propaganda Department", "township", True),
    ("civil", "县民政局", "Civil Affairs Bureau", "township", False),
    ("police", "县公安局", "Public Security Bureau", "township", False),
    ("court", "县人民法院", "County Court", "township", False),
    ("procuratorate", "县人民检察院", "County Procuratorate", "township", False),
    ("finance", "县财政局", "Finance Bureau", "township", False),
    ("hrss", "县人力资源和社会保障局", "Human Resources and Social Security Bureau", "township", False),
    ("women", "县妇联", "Women's Federation", "township", False),
    ("youth", "团县委", "Communist Youth League County Committee", "township", False),
    ("disabled", "县残联", "Disabled Persons' Federation", "township", False),
    ("culture", "县文化广电旅游局", "Culture, Radio, TV and Tourism Bureau", "township", False),
    ("veterans", "县退役军人事务局", "Veterans Affairs Bureau", "township", False),
    ("agriculture", "县农业农村局", "Agriculture and Rural Affairs Bureau", "township", False),
    ("organisation", "县委组织部", "Organisation Department", "township", False),
]


def add_standard_departments(engine: Engine, actor: Actor) -> list[str]:
    """Create the standard departments this county does not have yet (by code or by name);
    each through admin.create_department (audited). Returns the codes created."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        codes = set(s.scalars(select(m.Department.code)))
        names = set(s.scalars(select(m.Department.name_zh)))
    created = []
    for code, name_zh, name_en, reports_by, quarterly in STANDARD_DEPARTMENTS:
        if code in codes or name_zh in names:
            continue
        admin.create_department(engine, actor, code=code, name_zh=name_zh, name_en=name_en, reports_by=reports_by,
                                reports_quarterly=quarterly)
        created.append(code)
    return created
