"""The incidents table goes: every acknowledgement carries its incident's summary."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "notifier_0004"
down_revision = "notifier_0003"


def upgrade() -> None:
    op.drop_table("incidents")


def downgrade() -> None:
    op.create_table(
        "incidents",
        uuid_column("incident_id", primary_key=True),
        uuid_column("activation_id", nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        timestamp("updated_at", nullable=False),
    )
