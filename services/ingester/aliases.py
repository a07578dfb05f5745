"""One USGS event under one key, whatever id USGS prefers this minute.

USGS may first publish an event under one network's id (`us7000abcd`) and later prefer
another network's (`ci40123456`); every id stays in the event's `ids`. An event is known by
the first id it was seen under: a later preferred id re-keys it to that one, so it is never
a new event (and never a second alert). The map is kept by the ingester (aliases table) and
rebuilt in memory by the offline tools, which replay documents in time order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from schemas.hazards import HazardEvent, Source
from services.ingester.sources.usgs import aliases


class AliasBook:
    """Which event id each USGS id belongs to (the id the event was first seen under)."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self.event_of: dict[str, str] = dict(known or {})

    @staticmethod
    def ids(events: Iterable[HazardEvent]) -> set[str]:
        """The ids whose owners must be known before these events are keyed."""
        return {i for e in events if e.source is Source.USGS for i in aliases(e)}

    def key(self, event: HazardEvent) -> tuple[HazardEvent, dict[str, str]]:
        """Return the event under its held id, and the aliases it newly brings (id → event id)."""
        if event.source is not Source.USGS:
            return event, {}
        ids = aliases(event)
        held = self.event_of.get(event.source_id) or next(
            (self.event_of[i] for i in ids if i in self.event_of), event.source_id
        )
        new = {i: held for i in ids if i not in self.event_of}
        self.event_of.update(new)
        if held == event.source_id:
            return event, new
        extras = {**event.extras, "preferred_id": event.source_id}
        return event.model_copy(update={"source_id": held, "extras": extras}), new

    def key_all(self, events: Iterable[HazardEvent]) -> list[HazardEvent]:
        return [self.key(event)[0] for event in events]
