"""The NLU review queue's rows know their conversation by a keyed hash (erased with it).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nlu_review") as batch:
        batch.add_column(sa.Column("conversation_key", sa.String(64), nullable=True))
        batch.create_index("ix_nlu_review_conversation_key", ["conversation_key"])


def downgrade() -> None:
    with op.batch_alter_table("nlu_review") as batch:
        batch.drop_index("ix_nlu_review_conversation_key")
        batch.drop_column("conversation_key")
