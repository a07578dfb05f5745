"""Duty tables: activations, transitions, pages, timers, deliveries, spent link tokens."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "duty_0001"
down_revision = None
branch_labels = ("duty",)
depends_on = "common_0001"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "duty_activations",
        sa.Column("activation_id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False, index=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("previous_level", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("chain", sa.JSON, nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("paged_at", _TS, nullable=True),
        sa.Column("acknowledged_at", _TS, nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("timer_id", sa.String(36), nullable=True),
        sa.Column("superseded_by", sa.String(36), nullable=True),
    )
    op.create_table(
        "duty_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("activation_id", sa.String(36), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_table(
        "duty_pages",
        sa.Column("page_id", sa.String(36), primary_key=True),
        sa.Column("activation_id", sa.String(36), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_table(
        "duty_timers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("activation_id", sa.String(36), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("settled_at", _TS, nullable=True),
    )
    op.create_index("ix_duty_timers_pending", "duty_timers", ["status", "due_at"])
    op.create_table(
        "duty_deliveries",
        sa.Column("delivery_key", sa.String(300), primary_key=True),
        sa.Column("activation_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=True),
        sa.Column("contact_id", sa.String(130), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("occurred_at", _TS, nullable=False),
    )
    op.create_table(
        "duty_spent_tokens",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("spent_at", _TS, nullable=False),
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
