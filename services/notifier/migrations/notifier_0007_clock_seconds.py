"""Quiet hours and the digest hour may name a second (`HH:MM:SS`): their columns widen to 8."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_0007"
down_revision = "notifier_0006"

_COLUMNS = ("quiet_start", "quiet_end", "digest_at")


def upgrade() -> None:
    with op.batch_alter_table("member_preferences") as batch:
        for column in _COLUMNS:
            batch.alter_column(column, type_=sa.String(8), existing_type=sa.String(5))


def downgrade() -> None:
    with op.batch_alter_table("member_preferences") as batch:
        for column in _COLUMNS:
            batch.alter_column(column, type_=sa.String(5), existing_type=sa.String(8))
