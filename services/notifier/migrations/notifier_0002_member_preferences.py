"""Members' own preferences: levels, hazards, countries, language, pause, unsubscribe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp

revision = "notifier_0002"
down_revision = "notifier_0001"


def upgrade() -> None:
    op.create_table(
        "member_preferences",
        sa.Column("organisation_id", sa.String(100), primary_key=True),
        sa.Column("contact_id", sa.String(100), primary_key=True),
        sa.Column("levels", sa.JSON, nullable=True),
        sa.Column("hazards", sa.JSON, nullable=True),
        sa.Column("countries", sa.JSON, nullable=True),
        sa.Column("language", sa.String(5), nullable=True),
        timestamp("paused_until", nullable=True),
        sa.Column("unsubscribed", sa.Boolean, nullable=False),
        timestamp("updated_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_preferences")
