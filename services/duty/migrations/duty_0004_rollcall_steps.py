"""The roll-call's steps (from the response service's `rollcall.v1`) for the duty timeline."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "duty_0004"
down_revision = "duty_0003"


def upgrade() -> None:
    op.create_table(
        "duty_rollcall_steps",
        uuid_column("step_id", primary_key=True),
        uuid_column("incident_id", nullable=False, index=True),
        uuid_column("activation_id", nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("level", sa.String(20), nullable=True),
        sa.Column("organisation_id", sa.String(64), nullable=True),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("organisations", sa.JSON, nullable=False),
        sa.Column("programme_ja", sa.String(200), nullable=True),
        sa.Column("programme_en", sa.String(200), nullable=True),
        timestamp("occurred_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("duty_rollcall_steps")
