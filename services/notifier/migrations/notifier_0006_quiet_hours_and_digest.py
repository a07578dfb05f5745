"""Quiet hours and the daily digest: a contact's time zone and hours, held deliveries, digest items."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "notifier_0006"
down_revision = "notifier_0005"


def upgrade() -> None:
    with op.batch_alter_table("member_preferences") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("quiet_start", sa.String(5), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.String(5), nullable=True))
        batch.add_column(sa.Column("digest_levels", sa.JSON, nullable=True))
        batch.add_column(sa.Column("digest_at", sa.String(5), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(timestamp("held_until", nullable=True))
    op.create_table(
        "digest_items",
        sa.Column("organisation_id", sa.String(100), primary_key=True),
        sa.Column("contact_id", sa.String(100), primary_key=True),
        uuid_column("activation_id", primary_key=True),
        uuid_column("incident_id", nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("activation", sa.Text, nullable=False),
        timestamp("created_at", nullable=False),
        uuid_column("digest_id", nullable=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("digest_items")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("held_until")
    with op.batch_alter_table("member_preferences") as batch:
        for column in ("digest_at", "digest_levels", "quiet_end", "quiet_start", "time_zone"):
            batch.drop_column(column)
