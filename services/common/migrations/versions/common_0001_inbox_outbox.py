"""Inbox, outbox and key-value tables every service has."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "common_0001"
down_revision = None
branch_labels = ("common",)


def upgrade() -> None:
    op.create_table(
        "inbox",
        uuid_column("message_id", primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        timestamp("processed_at", nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        uuid_column("message_id", nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(500), nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        timestamp("created_at", nullable=False),
        timestamp("published_at", nullable=True),
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
