"""The ingester's record of published event versions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp

revision = "ingester_0001"
down_revision = None
branch_labels = ("ingester",)
depends_on = "common_0001"


def upgrade() -> None:
    op.create_table(
        "ingester_seen_events",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        timestamp("first_seen_at", nullable=False),
        timestamp("published_at", nullable=False),
        sa.Column("publish_count", sa.Integer, nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_table("ingester_seen_events")
