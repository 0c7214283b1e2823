"""analytics: the anonymized event log the indicators read

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("province", sa.String(length=8), nullable=True),
        sa.Column("sector", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.Column("cohort", sa.String(length=7), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
    )
    with op.batch_alter_table("analytics_events", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_kind_month", ["kind", "month"], unique=False)
        batch_op.create_index("ix_analytics_kind_cohort", ["kind", "cohort"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_events", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_kind_cohort")
        batch_op.drop_index("ix_analytics_kind_month")
    op.drop_table("analytics_events")
