"""Each inbound message keeps the number it was sent to, so the webhook only inserts.

The conversation's reply address and last-message time are now set by the turn that handles the
message (it holds the conversation's lock anyway), not by the webhook; and the flood count reads
the new (conversation, received_at) index.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("bot_address", sa.String(64), nullable=True))
    op.create_index(
        "ix_inbound_conversation_received", "inbound_messages", ["conversation_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_conversation_received", table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("bot_address")
