"""quarter sign-off: quarter_approvals (an approved quarter's figures are locked)

Revision ID: assess_1
Revises: sessions_1
"""
from alembic import op
import sqlalchemy as sa


revision = "assess_1"
down_revision = "sessions_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarter_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("periods.id"), nullable=False),
        sa.Column("approved_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_by_name", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("review", sa.JSON(), nullable=True),
        sa.Column("unlocked_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("unlocked_by_name", sa.String(length=64), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarter_approvals_period_id", "quarter_approvals", ["period_id"])


def downgrade() -> None:
    op.drop_index("ix_quarter_approvals_period_id", table_name="quarter_approvals")
    op.drop_table("quarter_approvals")
