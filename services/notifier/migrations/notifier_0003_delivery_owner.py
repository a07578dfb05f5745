"""Deliveries remember which process holds them, so a replica takes over a dead one's.

Revision ID: notifier_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_0003"
down_revision = "notifier_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("owner", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("owner")
