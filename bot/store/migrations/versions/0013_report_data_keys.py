"""Envelope encryption for reports: a data key per report, wrapped by the master key.

``data_keys`` holds each data key wrapped (bot.store.keyring); ``reports.data_key_id`` names the report's.
Every stored token of a report, its evidence, employer mention, relay thread and staff notes is
sealed again under that key and bound to its table, column and row (bot.store.reseal). This needs the
secret key when reports exist (PUENTE_SECRET_KEY, or the settings `puente db upgrade` reads).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from bot.store import migrate, reseal

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

REPORTS = reseal.Scope(
    "reports",
    "report",
    (
        ("reports", "conversation_ref_enc", "id"),
        ("reports", "town_enc", "id"),
        ("reports", "employer_enc", "id"),
        ("reports", "details_enc", "id"),
        ("reports", "contact_enc", "id"),
        ("report_media", "url_enc", "report_id"),
        ("report_media", "data_enc", "report_id"),
        ("employer_mentions", "name_enc", "report_id"),
        ("employer_mentions", "town_enc", "report_id"),
        ("employer_mentions", "phone_enc", "report_id"),
        ("employer_mentions", "lmia_enc", "report_id"),
        ("relay_messages", "body_enc", "report_id"),
        ("notes", "body_enc", "report_id"),
    ),
)


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    op.create_index(op.f("ix_data_keys_master_key_id"), "data_keys", ["master_key_id"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("data_key_id", sa.String(16), nullable=True))
    conn = op.get_bind()
    found = reseal.tools(migrate.keys(context.config), conn, REPORTS, revision)
    if found is not None:
        reseal.to_envelopes(conn, *found, REPORTS)


def downgrade() -> None:
    conn = op.get_bind()
    found = reseal.tools(migrate.keys(context.config), conn, REPORTS, revision)
    if found is not None:
        reseal.to_legacy(conn, *found, REPORTS)
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("data_key_id")
    op.drop_index(op.f("ix_data_keys_master_key_id"), table_name="data_keys")
    op.drop_table("data_keys")
