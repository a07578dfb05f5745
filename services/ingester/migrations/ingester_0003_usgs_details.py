"""PAGER detail kept across restarts; when each USGS alias was first seen (for retention)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingester_0003"
down_revision = "ingester_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingester_usgs_details",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("pager", sa.Text, nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("ingester_event_aliases") as batch:
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingester_event_aliases") as batch:
        batch.drop_column("seen_at")
    op.drop_table("ingester_usgs_details")
