"""Inbox, outbox and key-value tables every service has."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "common_0001"
down_revision = None
branch_labels = ("common",)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(500), nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "id"])
    op.create_table(
        "kv",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kv")
    op.drop_index("ix_outbox_pending", "outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
