"""The notifier's delivery log, shared bodies, threads and incident summaries."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "notifier_0001"
down_revision = None
branch_labels = ("notifier",)
depends_on = "common_0001"


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        uuid_column("activation_id", nullable=False),
        uuid_column("incident_id", nullable=True),
        sa.Column("organisation_id", sa.String(100), nullable=True),
        sa.Column("contact_id", sa.String(100), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("headers", sa.LargeBinary, nullable=False),
        sa.Column("body_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        timestamp("created_at", nullable=False),
        timestamp("updated_at", nullable=False),
        timestamp("next_attempt_at", nullable=True),
        timestamp("sent_at", nullable=True),
    )
    op.create_index("ix_deliveries_activation_id", "deliveries", ["activation_id"])
    op.create_index("ix_deliveries_incident_id", "deliveries", ["incident_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "bodies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        timestamp("created_at", nullable=False),
    )
    op.create_table(
        "threads",
        uuid_column("incident_id", primary_key=True),
        sa.Column("contact_ref", sa.String(200), primary_key=True),
        sa.Column("root_message_id", sa.String(300), nullable=False),
        timestamp("created_at", nullable=False),
    )
    create_incidents()


def create_incidents() -> None:
    """The incidents table (dropped by notifier_0004, whose downgrade makes it again here)."""
    op.create_table(
        "incidents",
        uuid_column("incident_id", primary_key=True),
        uuid_column("activation_id", nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        timestamp("updated_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("threads")
    op.drop_table("bodies")
    op.drop_index("ix_deliveries_due", "deliveries")
    op.drop_index("ix_deliveries_incident_id", "deliveries")
    op.drop_index("ix_deliveries_activation_id", "deliveries")
    op.drop_table("deliveries")
