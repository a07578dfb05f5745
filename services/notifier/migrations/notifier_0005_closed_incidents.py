"""Incidents an acknowledgement closed, so the retention schedule knows which are open."""

from __future__ import annotations

from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "notifier_0005"
down_revision = "notifier_0004"


def upgrade() -> None:
    op.create_table(
        "closed_incidents",
        uuid_column("incident_id", primary_key=True),
        timestamp("closed_at", nullable=False),
    )
    # The retention schedule looks up an incident's newest mail.
    op.create_index("ix_deliveries_incident_created", "deliveries", ["incident_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_incident_created", "deliveries")
    op.drop_table("closed_incidents")
