"""Roll-calls remember when their incident was first activated (the metrics count from it)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "response_0002"
down_revision = "response_0001"


def upgrade() -> None:
    op.add_column("rc_rollcalls", sa.Column("activated_at", sa.DateTime(timezone=True)))
    # Roll-calls opened before this revision count from their opening, a moment later.
    op.execute("UPDATE rc_rollcalls SET activated_at = opened_at")
    with op.batch_alter_table("rc_rollcalls") as batch:
        batch.alter_column("activated_at", nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rc_rollcalls") as batch:
        batch.drop_column("activated_at")
