"""Deliveries remember which process holds them, so a replica takes over a dead one's."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_0003"
down_revision = "notifier_0002"


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("owner", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("owner")
