"""The MessageSids of erased conversations, so a redelivered "yes, erase" stays erased.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_messages",
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("erased_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_sid", name=op.f("pk_erased_messages")),
    )
    op.create_index(op.f("ix_erased_messages_erased_at"), "erased_messages", ["erased_at"])


def downgrade() -> None:
    op.drop_index("ix_erased_messages_erased_at", table_name="erased_messages")
    op.drop_table("erased_messages")
