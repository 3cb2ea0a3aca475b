"""catalogue as data: point types and facility kinds tables, registry rules, retired indicators,
comparison quarter, indicator groups, dated target steps

Revision ID: catalogue_1
Revises: tasks_1
"""
from alembic import op
import sqlalchemy as sa


revision = "catalogue_1"
down_revision = "tasks_1"
branch_labels = None
depends_on = None

# The standard types and kinds as of this revision (frozen here: later edits are data).
POINT_TYPES = [
    ("county_centre", "县社会心理服务中心", "County centre", ["县级中心", "心理服务中心"], None),
    ("township_station", "乡镇（街道）社会心理服务站", "Township station",
     ["乡镇服务站", "街道服务站", "心理服务站"], None),
    ("village_room", "村（社区）心理咨询室", "Village counselling room", ["心理咨询室", "村心理咨询室", "社区心理咨询室"], None),
    ("social_work_room", "村（社区）社会工作室", "Social-work room", ["社会工作室", "社工室"], None),
    ("school_room", "中小学心理辅导室", "School counselling room", ["心理辅导室", "学校心理辅导室"],
     ["primary_school", "secondary_school", "kindergarten"]),
    ("hospital_clinic", "医院心理门诊", "Hospital psychology clinic", ["心理门诊"], ["hospital", "township_health_centre"]),
    ("police_room", "公安心理服务室", "Police service room", ["公安"], None),
    ("petition_room", "信访心理服务室", "Petition-office room", ["信访"], None),
    ("court_room", "法院心理服务室", "Court service room", ["法院"], None),
    ("enterprise_station", "企业爱心驿站", "Enterprise station", ["爱心驿站"], None),
    ("grid_point", "网格服务点", "Grid service point", ["网格", "网格员"], None),
    ("hotline", "24小时心理援助热线", "24-hour hotline", ["热线"], None),
    ("office_room", "机关心理服务室", "Government-office psychological service room",
     ["机关单位心理服务室", "局委办心理服务室"], None),
    ("mediation_centre", "综治中心（矛盾纠纷调处中心）", "Comprehensive governance / dispute mediation centre",
     ["综治中心", "矛盾纠纷调处中心", "矛调中心", "矛盾纠纷多元化解中心"], None),
    ("family_education_point", "家庭教育服务点", "Family-education service point", ["家庭教育指导站", "家长学校"], None),
]
FACILITY_KINDS = [
    ("primary_school", "小学", "Primary school", "school", ["小学"]),
    ("secondary_school", "中学", "Secondary school", "school", ["中学", "初中", "高中"]),
    ("kindergarten", "幼儿园", "Kindergarten", "school", ["幼儿园"]),
    ("hospital", "医院", "Hospital", "hospital", ["医院"]),
    ("township_health_centre", "乡镇卫生院", "Township health centre", "hospital", ["卫生院", "社区卫生服务中心"]),
]
# The rules the four coverage indicators were computed by in code until this revision.
RULES = {
    "room_coverage": {"type": "share", "unit": "village", "point_types": ["village_room", "social_work_room"]},
    "school_rooms": {"type": "share", "unit": "facility", "facility_kinds": ["primary_school", "secondary_school"],
                     "listed_only": False, "point_types": ["school_room"]},
    "hospital_clinics": {"type": "share", "unit": "facility", "facility_kinds": ["hospital"], "listed_only": True,
                         "point_types": ["hospital_clinic"]},
    "hotline_24h": {"type": "exists", "point_types": ["hotline"]},
}


def upgrade() -> None:
    point_types = op.create_table(
        "point_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.Column("facility_kinds", sa.JSON(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    facility_kinds = op.create_table(
        "facility_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("compare_with", sa.String(length=16), nullable=False,
                                      server_default="previous"))
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("group_zh", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("group_en", sa.String(length=128), nullable=True))
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("steps", sa.JSON(), nullable=True))
    op.bulk_insert(point_types, [dict(code=c, name_zh=zh, name_en=en, aliases=al, facility_kinds=fk, sort_order=i)
                                 for i, (c, zh, en, al, fk) in enumerate(POINT_TYPES, start=1)])
    op.bulk_insert(facility_kinds, [dict(code=c, name_zh=zh, name_en=en, category=cat, aliases=al, sort_order=i)
                                    for i, (c, zh, en, cat, al) in enumerate(FACILITY_KINDS, start=1)])
    indicators = sa.table("indicators", sa.column("code", sa.String), sa.column("source", sa.String),
                          sa.column("rule", sa.JSON))
    bind = op.get_bind()
    for code, rule in RULES.items():
        bind.execute(indicators.update().where(indicators.c.code == code, indicators.c.source == "registry")
                     .values(rule=rule))


def downgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("steps")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        for col in ("group_en", "group_zh", "retired_on", "compare_with", "rule"):
            batch_op.drop_column(col)
    op.drop_table("facility_kinds")
    op.drop_table("point_types")
