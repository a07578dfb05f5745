"""Console security: login throttle, server-side sessions, rota members seen, security events."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp

revision = "duty_0003"
down_revision = "duty_0002"


def upgrade() -> None:
    op.create_table(
        "duty_login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        timestamp("last_failure_at", nullable=False),
        timestamp("next_try_at", nullable=False),
    )
    op.create_table(
        "duty_console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("officer_id", sa.String(64), nullable=False, index=True),
        timestamp("created_at", nullable=False),
        timestamp("last_seen_at", nullable=False),
        timestamp("expires_at", nullable=False),
    )
    op.create_table(
        "duty_rota_members",
        sa.Column("officer_id", sa.String(64), primary_key=True),
        timestamp("seen_at", nullable=False),
    )
    op.create_table(
        "duty_security_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        timestamp("at", nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_duty_security_events_at", "duty_security_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_duty_security_events_at", "duty_security_events")
    op.drop_table("duty_security_events")
    op.drop_table("duty_rota_members")
    op.drop_table("duty_console_sessions")
    op.drop_table("duty_login_throttle")
