"""Answers are looked up by incident (the board) and by incident and organisation (an answer
page): an index for both, so neither reads every answer ever kept."""

from __future__ import annotations

from alembic import op

revision = "response_0003"
down_revision = "response_0002"


def upgrade() -> None:
    op.create_index(
        "ix_rc_answers_incident_organisation", "rc_answers", ["incident_id", "organisation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_rc_answers_incident_organisation", "rc_answers")
