"""Duty tables: activations, transitions, pages, timers, deliveries, spent link tokens."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "duty_0001"
down_revision = None
branch_labels = ("duty",)
depends_on = "common_0001"


def _activation_id() -> sa.Column[str]:
    """The activation a transition, page, timer or delivery belongs to (indexed: the timeline
    reads by it)."""
    return uuid_column("activation_id", nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "duty_activations",
        uuid_column("activation_id", primary_key=True),
        uuid_column("incident_id", nullable=False, index=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("previous_level", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("chain", sa.JSON, nullable=False),
        timestamp("occurred_at", nullable=False),
        timestamp("received_at", nullable=False),
        timestamp("paged_at", nullable=True),
        timestamp("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        timestamp("closed_at", nullable=True),
        timestamp("updated_at", nullable=False),
        uuid_column("timer_id", nullable=True),
        uuid_column("superseded_by", nullable=True),
    )
    op.create_table(
        "duty_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _activation_id(),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        timestamp("at", nullable=False),
    )
    op.create_table(
        "duty_pages",
        uuid_column("page_id", primary_key=True),
        _activation_id(),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=False),
        timestamp("at", nullable=False),
    )
    op.create_table(
        "duty_timers",
        uuid_column("id", primary_key=True),
        _activation_id(),
        sa.Column("step", sa.Integer, nullable=False),
        timestamp("due_at", nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        timestamp("settled_at", nullable=True),
    )
    op.create_index("ix_duty_timers_pending", "duty_timers", ["status", "due_at"])
    op.create_table(
        "duty_deliveries",
        sa.Column("delivery_key", sa.String(300), primary_key=True),
        _activation_id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=True),
        sa.Column("contact_id", sa.String(130), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        timestamp("occurred_at", nullable=False),
    )
    op.create_table(
        "duty_spent_tokens",
        sa.Column("nonce", sa.String(64), primary_key=True),
        timestamp("expires_at", nullable=False),
        timestamp("spent_at", nullable=False),
    )


def downgrade() -> None:
    for table in (
        "duty_spent_tokens",
        "duty_deliveries",
        "duty_timers",
        "duty_pages",
        "duty_transitions",
        "duty_activations",
    ):
        op.drop_table(table)
