"""assessment (考核): schemes per year and subject, their items, leaders' adjustments

Revision ID: assess_2
Revises: assess_1
"""
from alembic import op
import sqlalchemy as sa


revision = "assess_2"
down_revision = "assess_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "subject", name="uq_assessment_scheme"),
    )
    op.create_table(
        "assessment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), sa.ForeignKey("assessment_schemes.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("indicator_code", sa.String(length=48), nullable=True),
        sa.Column("label_zh", sa.String(length=128), nullable=False),
        sa.Column("label_en", sa.String(length=255), nullable=True),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("floor", sa.Float(), nullable=True),
        sa.Column("deduction", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessment_items_scheme_id", "assessment_items", ["scheme_id"])
    op.create_table(
        "assessment_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), sa.ForeignKey("assessment_schemes.id"), nullable=False),
        sa.Column("subject_code", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessment_adjustments_scheme_id", "assessment_adjustments", ["scheme_id"])


def downgrade() -> None:
    op.drop_index("ix_assessment_adjustments_scheme_id", table_name="assessment_adjustments")
    op.drop_table("assessment_adjustments")
    op.drop_index("ix_assessment_items_scheme_id", table_name="assessment_items")
    op.drop_table("assessment_items")
    op.drop_table("assessment_schemes")
