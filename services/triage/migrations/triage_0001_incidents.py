"""Triage's incidents, their reports, decisions and activations."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "triage_0001"
down_revision = None
branch_labels = ("triage",)
depends_on = "common_0001"


def _incident_id() -> sa.Column[str]:
    """The column that ties a report, decision or activation to its incident."""
    return sa.Column(
        "incident_id",
        sa.String(36),
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("family", sa.String(4), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("countries", sa.JSON, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("level_rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("alerted_level", sa.String(16), nullable=False),
        sa.Column("acked_level", sa.String(16), nullable=False),
        sa.Column("ack_state", sa.String(16), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("precise", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_incidents_family_seen", "incidents", ["family", "last_seen", "first_seen"])
    op.create_table(
        "incident_members",
        sa.Column("source_key", sa.String(300), primary_key=True),
        _incident_id(),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("glide_key", sa.String(32), nullable=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_incident_members_incident_id", "incident_members", ["incident_id"])
    op.create_index("ix_incident_members_glide_key", "incident_members", ["glide_key"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _incident_id(),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("source_key", sa.String(300), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("previous_level", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("activation_id", sa.String(36), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_decisions_incident_id", "decisions", ["incident_id"])
    op.create_table(
        "activations",
        sa.Column("activation_id", sa.String(36), primary_key=True),
        _incident_id(),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("previous_level", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False, unique=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
