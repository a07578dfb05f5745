"""Response tables: roll-calls per incident, organisations addressed, answers, audit trail."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "response_0001"
down_revision = None
branch_labels = ("response",)
depends_on = "common_0001"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rc_rollcalls",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("activation_id", sa.String(36), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("reminder_due_at", _TS, nullable=False),
        sa.Column("reminder_sent_at", _TS, nullable=True),
        sa.Column("first_answer_at", _TS, nullable=True),
        sa.Column("survey", sa.JSON, nullable=True),
        sa.Column("survey_decided_at", _TS, nullable=True),
        sa.Column("programme", sa.JSON, nullable=True),
        sa.Column("launched_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
    )
    op.create_index("ix_rc_rollcalls_reminder", "rc_rollcalls", ["status", "reminder_due_at"])
    op.create_table(
        "rc_addressed",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("organisation_id", sa.String(64), primary_key=True),
        sa.Column("first_at", _TS, nullable=False),
    )
    op.create_table(
        "rc_answers",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.String(36), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("answer", sa.String(20), nullable=False),
        sa.Column("earliest_arrival_hours", sa.Integer, nullable=True),
        sa.Column("staff", sa.Integer, nullable=True),
        sa.Column("sectors", sa.JSON, nullable=False),
        sa.Column("survey_budget_jpy", sa.BigInteger, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=True),
        sa.Column("answered_at", _TS, nullable=False),
    )
    op.create_index("ix_rc_answers_incident", "rc_answers", ["incident_id", "organisation_id"])
    op.create_table(
        "rc_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(36), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("at", _TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("rc_audit", "rc_answers", "rc_addressed", "rc_rollcalls"):
        op.drop_table(table)
