"""Twilio's copies of messages are deleted; only keyed hashes of their SIDs stay.

``twilio_deletions`` queues each DELETE (the SID encrypted) until Twilio confirms it;
``inbound_messages.sid_enc`` holds an inbound SID until its deletion is queued. The SID columns
(inbound, outbox, erased) now hold keyed hashes: SIDs stored before are hashed here when the
secret key is in the environment (PUENTE_SECRET_KEY), else they are dropped from the outbox and
left for the retention purge.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

from bot.store.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "twilio_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_hash", sa.String(64), nullable=False),
        sa.Column("sid_enc", sa.Text(), nullable=False),
        sa.Column("media_sid_enc", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_deletions")),
        sa.UniqueConstraint("sid_hash", name=op.f("uq_twilio_deletions_sid_hash")),
    )
    op.create_index(
        op.f("ix_twilio_deletions_conversation_id"), "twilio_deletions", ["conversation_id"]
    )
    op.create_index(op.f("ix_twilio_deletions_due_at"), "twilio_deletions", ["due_at"])
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("sid_enc", sa.Text(), nullable=True))
    _hash_stored_sids()


def _hash_stored_sids() -> None:
    conn = op.get_bind()
    secret = os.environ.get("PUENTE_SECRET_KEY")
    if not secret:
        conn.execute(sa.text("UPDATE outbox SET twilio_sid = NULL"))
        return
    from bot.store.vault import Vault

    vault = Vault(secret)
    for table, column in (
        ("inbound_messages", "message_sid"),
        ("outbox", "twilio_sid"),
        ("erased_messages", "message_sid"),
    ):
        rows = (
            conn.execute(
                sa.text(
                    f"SELECT {column} FROM {table} WHERE {column} LIKE 'SM%' OR {column} LIKE 'MM%'"
                )
            )
            .scalars()
            .all()
        )
        for sid in rows:
            conn.execute(
                sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                {"new": vault.sid_hash(sid), "old": sid},
            )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("sid_enc")
    op.drop_index(op.f("ix_twilio_deletions_due_at"), table_name="twilio_deletions")
    op.drop_index(op.f("ix_twilio_deletions_conversation_id"), table_name="twilio_deletions")
    op.drop_table("twilio_deletions")
