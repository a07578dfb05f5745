"""The ingester's one growing table on the retention schedule."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from services.common.retention import Rule, older_than
from services.common.settings import RetentionSettings
from services.ingester.models import SeenEvent

seen_events = cast(Table, SeenEvent.__table__)


def rules(retention: RetentionSettings) -> list[Rule]:
    """Events last published longer ago than `seen_events`.

    The feeds carry an event for days or weeks; one still carried after `seen_events` (365 days
    by default) would be published again as news.
    """
    return [
        Rule(
            seen_events,
            older_than(seen_events.c.published_at, retention.seen_events),
            "seen_events",
        )
    ]
