"""Who left the member directory and when (pending erasure), and the erasures done."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.common.migration_columns import timestamp

revision = "common_0002"
down_revision = "common_0001"
branch_labels = None


def upgrade() -> None:
    op.create_table(
        "erasure_pending",
        sa.Column("subject", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        timestamp("absent_since", nullable=False),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        timestamp("absent_since", nullable=False),
        timestamp("erased_at", nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
    )
    # The relayed rows are pruned by age (the retention schedule).
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", "inbox")
    op.drop_table("erasures")
    op.drop_table("erasure_pending")
