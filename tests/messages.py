"""The smallest valid hazard event, for tests of the plumbing (routes, outbox, dead letters)."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import HazardEvent


def event(n: int | str, *, title: str | None = None, at: datetime | None = None) -> HazardEvent:
    """GDACS earthquake `n`, version 1: titled `quake n` unless `title` says otherwise."""
    return HazardEvent(
        source="gdacs",
        source_id=f"EQ:{n}",
        version="1",
        hazard_type="EQ",
        title=title or f"quake {n}",
        event_time=at or datetime(2026, 11, 23, tzinfo=UTC),
    )
