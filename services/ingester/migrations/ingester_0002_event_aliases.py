"""USGS event ids and the id each event was first seen under."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingester_0002"
down_revision = "ingester_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingester_event_aliases",
        sa.Column("alias", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingester_event_aliases")
