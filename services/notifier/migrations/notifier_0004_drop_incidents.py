"""The incidents table goes: every acknowledgement carries its incident's summary."""

from __future__ import annotations

from alembic import context, op

revision = "notifier_0004"
down_revision = "notifier_0003"


def upgrade() -> None:
    op.drop_table("incidents")


def downgrade() -> None:
    # Made again by the revision that first made it, so the two can never disagree.
    context.script.get_revision("notifier_0001").module.create_incidents()
