"""Duty transitions keep the message to members apart from the officer's internal note."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "duty_0002"
down_revision = "duty_0001"


def upgrade() -> None:
    op.add_column("duty_transitions", sa.Column("member_message", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("duty_transitions", "member_message")
