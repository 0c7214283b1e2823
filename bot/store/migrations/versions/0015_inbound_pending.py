"""An index of the pending inbound messages, oldest first, for a turn job looking for the next one.

A turn job goes on from its worker's conversation to the others' pending messages
(bot.conversation.inbox.drain), oldest first; handled messages are kept for the retention period,
and without this index each look would read them all.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'received'")


def upgrade() -> None:
    op.create_index(
        "ix_inbound_pending",
        "inbound_messages",
        ["id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_pending", table_name="inbound_messages")
