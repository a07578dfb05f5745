"""The ingester's growing tables on the retention schedule."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.retention import Prunable, Rule, aged
from services.common.settings import RetentionSettings
from services.ingester.models import EventAlias, SeenEvent, UsgsDetail

seen_events = cast(Table, SeenEvent.__table__)
event_aliases = cast(Table, EventAlias.__table__)
usgs_details = cast(Table, UsgsDetail.__table__)


def rules(retention: RetentionSettings) -> list[Rule]:
    """Events last published longer ago than `seen_events`, and what was kept of them.

    The feeds carry an event for days or weeks; one still carried after `seen_events` (365 days
    by default) would be published again as news. A USGS id goes with its event: while the
    event's record stays, so do its aliases (else a later preferred id would be a new event).
    A detail document's facts are only a saved request: fetched again if they are gone.
    """
    return [
        aged(seen_events.c.published_at, retention, "seen_events"),
        Rule(event_aliases, _aliases_of_forgotten_events(retention), "seen_events"),
        aged(usgs_details.c.fetched_at, retention, "seen_events"),
    ]


def _aliases_of_forgotten_events(retention: RetentionSettings) -> Prunable:
    """Aliases older than `seen_events` whose event has no record left (pruned before them)."""

    async def prunable(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        old = event_aliases.c.seen_at.is_(None) | (
            event_aliases.c.seen_at < now - retention.seen_events
        )
        recorded = exists(
            select(seen_events.c.key).where(
                seen_events.c.key == literal("usgs:") + event_aliases.c.event_id
            )
        )
        return old & ~recorded

    return prunable
