"""Triage's incidents, their reports, decisions and activations."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "triage_0001"
down_revision = None
branch_labels = ("triage",)
depends_on = "common_0001"


def _incident_id() -> sa.Column[str]:
    """The column that ties a report, decision or activation to its incident."""
    return uuid_column(
        "incident_id",
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        uuid_column("id", primary_key=True),
        sa.Column("family", sa.String(4), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("countries", sa.JSON, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("level_rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("alerted_level", sa.String(16), nullable=False),
        sa.Column("acked_level", sa.String(16), nullable=False),
        sa.Column("ack_state", sa.String(16), nullable=True),
        timestamp("first_seen", nullable=False),
        timestamp("last_seen", nullable=False),
        sa.Column("precise", sa.Boolean, nullable=False),
        timestamp("created_at", nullable=False),
        timestamp("updated_at", nullable=False),
    )
    op.create_index("ix_incidents_family_seen", "incidents", ["family", "last_seen", "first_seen"])
    op.create_table(
        "incident_members",
        sa.Column("source_key", sa.String(300), primary_key=True),
        _incident_id(),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("glide_key", sa.String(32), nullable=True),
        timestamp("event_time", nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        timestamp("updated_at", nullable=False),
    )
    op.create_index("ix_incident_members_incident_id", "incident_members", ["incident_id"])
    op.create_index("ix_incident_members_glide_key", "incident_members", ["glide_key"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _incident_id(),
        uuid_column("message_id", nullable=False),
        sa.Column("source_key", sa.String(300), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("previous_level", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        uuid_column("activation_id", nullable=True),
        timestamp("decided_at", nullable=False),
    )
    op.create_index("ix_decisions_incident_id", "decisions", ["incident_id"])
    op.create_table(
        "activations",
        uuid_column("activation_id", primary_key=True),
        _incident_id(),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("previous_level", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        uuid_column("message_id", nullable=False, unique=True),
        sa.Column("payload", sa.Text, nullable=False),
        timestamp("created_at", nullable=False),
        sa.UniqueConstraint("incident_id", "level", name="uq_activations_incident_level"),
    )


def downgrade() -> None:
    op.drop_table("activations")
    op.drop_index("ix_decisions_incident_id", "decisions")
    op.drop_table("decisions")
    op.drop_index("ix_incident_members_glide_key", "incident_members")
    op.drop_index("ix_incident_members_incident_id", "incident_members")
    op.drop_table("incident_members")
    op.drop_index("ix_incidents_family_seen", "incidents")
    op.drop_table("incidents")
