"""The board reads an incident's audit trail on every read: an index on (incident, id) so it
reads that incident's steps in order, not every step of every roll-call ever kept."""

from __future__ import annotations

from alembic import op

revision = "response_0004"
down_revision = "response_0003"


def upgrade() -> None:
    op.create_index("ix_rc_audit_incident", "rc_audit", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_rc_audit_incident", "rc_audit")
