"""Response tables: roll-calls per incident, organisations addressed, answers, audit trail."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp, uuid_column

revision = "response_0001"
down_revision = None
branch_labels = ("response",)
depends_on = "common_0001"


def upgrade() -> None:
    op.create_table(
        "rc_rollcalls",
        uuid_column("incident_id", primary_key=True),
        uuid_column("activation_id", nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        timestamp("opened_at", nullable=False),
        timestamp("reminder_due_at", nullable=False),
        timestamp("reminder_sent_at", nullable=True),
        timestamp("first_answer_at", nullable=True),
        sa.Column("survey", sa.JSON, nullable=True),
        timestamp("survey_decided_at", nullable=True),
        sa.Column("programme", sa.JSON, nullable=True),
        timestamp("launched_at", nullable=True),
        timestamp("closed_at", nullable=True),
    )
    op.create_index("ix_rc_rollcalls_reminder", "rc_rollcalls", ["status", "reminder_due_at"])
    op.create_table(
        "rc_addressed",
        uuid_column("incident_id", primary_key=True),
        sa.Column("organisation_id", sa.String(64), primary_key=True),
        timestamp("first_at", nullable=False),
    )
    op.create_table(
        "rc_answers",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        uuid_column("answer_id", nullable=False, unique=True),
        uuid_column("incident_id", nullable=False),
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
        timestamp("answered_at", nullable=False),
    )
    op.create_index("ix_rc_answers_incident", "rc_answers", ["incident_id", "organisation_id"])
    op.create_table(
        "rc_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        uuid_column("incident_id", nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        timestamp("at", nullable=False),
    )


def downgrade() -> None:
    for table in ("rc_audit", "rc_answers", "rc_addressed", "rc_rollcalls"):
        op.drop_table(table)
