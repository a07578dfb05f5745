"""Column shapes the migrations share: a UUID kept as text, an aware timestamp.

A migration is the frozen record of the schema at its revision, so what a helper here builds
must never change: a revision that needs another shape gets a helper of its own (or spells the
column out), and these stay as they are for the revisions that already use them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def uuid_column(name: str, *args: Any, **kwargs: Any) -> sa.Column[Any]:
    """A UUID in its 36-character text form (`str(uuid)`), on every database."""
    return sa.Column(name, sa.String(36), *args, **kwargs)


def timestamp(name: str, *, nullable: bool) -> sa.Column[Any]:
    """A point in time with its time zone (`timestamptz` on PostgreSQL)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)
