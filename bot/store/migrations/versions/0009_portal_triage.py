"""The portal triages: a case has an assignee, administrators acknowledge alerts and see whether the
alert e-mail went, and each NGO keeps saved replies per language.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("assigned_at", bot.store.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("admin_alerts") as batch:
        batch.add_column(
            sa.Column("acknowledged_at", bot.store.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("email_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("email_error", sa.String(300), nullable=True))
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ngo_id", sa.String(64), sa.ForeignKey("ngos.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", bot.store.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_saved_replies_ngo_language", "saved_replies", ["ngo_id", "language"])


def downgrade() -> None:
    op.drop_index("ix_saved_replies_ngo_language", table_name="saved_replies")
    op.drop_table("saved_replies")
    with op.batch_alter_table("admin_alerts") as batch:
        for column in ("email_error", "email_status", "acknowledged_by", "acknowledged_at"):
            batch.drop_column(column)
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("assigned_at")
        batch.drop_column("assigned_to")
