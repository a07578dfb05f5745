"""Why each report joined its incident (aftershock, duplicate record, a cyclone's flood, …)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "triage_0002"
down_revision = "triage_0001"


def upgrade() -> None:
    op.add_column("incident_members", sa.Column("joined_because", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("incident_members", "joined_because")
