"""per-facility figures: facility_observations (an indicator reported per school, counted by a
per-unit minimum over facilities)

Revision ID: unitmin_1
Revises: assess_2
"""
from alembic import op
import sqlalchemy as sa


revision = "unitmin_1"
down_revision = "assess_2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "facility_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey("indicators.id"), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("periods.id"), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("indicator_id", "facility_id", "period_id", name="uq_facility_observation"),
    )
    op.create_index("ix_facility_observation_period_indicator", "facility_observations", ["period_id", "indicator_id"])
    op.create_index("ix_facility_observations_facility_id", "facility_observations", ["facility_id"])
    op.create_index("ix_facility_observations_submission_id", "facility_observations", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_facility_observations_submission_id", table_name="facility_observations")
    op.drop_index("ix_facility_observations_facility_id", table_name="facility_observations")
    op.drop_index("ix_facility_observation_period_indicator", table_name="facility_observations")
    op.drop_table("facility_observations")
