"""Publishing a document's new and changed events, with the dedupe record, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.base import utcnow
from schemas.hazards import HazardEvent
from services.common.service import ServiceContext
from services.ingester import metrics
from services.ingester.aliases import AliasBook
from services.ingester.changes import judge
from services.ingester.store import load_aliases, load_seen, record_aliases, record_published


class Sink(Protocol):
    async def news(self, events: Sequence[HazardEvent]) -> list[HazardEvent]: ...

    async def publish_new(self, events: Sequence[HazardEvent]) -> int: ...


class EventPublisher:
    """Write each new or changed event to the outbox together with the record that it was sent.

    Both happen in one transaction per document, so a crash either publishes an event and
    remembers it, or does neither: a restart never re-publishes and never loses one.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def news(self, events: Sequence[HazardEvent]) -> list[HazardEvent]:
        """Return the events that would be published now (a read; nothing is recorded)."""
        async with self.ctx.db.sessions() as session:
            book = AliasBook(await load_aliases(session, AliasBook.ids(events)))
            events = book.key_all(events)
            seen = await load_seen(session, (e.key for e in events))
        return [e for e in events if judge(e, seen.get(e.key)).publish]

    async def publish_new(self, events: Sequence[HazardEvent]) -> int:
        """Publish the events that are new or changed; return how many."""
        if not events:
            return 0
        published = 0
        first_seen: list[HazardEvent] = []
        async with self.ctx.work() as work:
            book = AliasBook(await load_aliases(work.session, AliasBook.ids(events)))
            keyed: list[HazardEvent] = []
            for event in events:
                event, new_aliases = book.key(event)
                await record_aliases(work.session, new_aliases)
                keyed.append(event)
            seen = await load_seen(work.session, (e.key for e in keyed))
            for event in keyed:
                decision = judge(event, seen.get(event.key))
                if not decision.publish or decision.seen is None:
                    continue
                seen[event.key] = decision.seen
                await record_published(work.session, event.key, decision.seen)
                work.publish(event, key=event.key)
                published += 1
                if decision.why == "new":
                    first_seen.append(event)
        # Counted once the transaction holds: a retried document is not seen twice.
        now = utcnow()
        for event in first_seen:
            lag = max(0.0, (now - event.event_time).total_seconds())
            metrics.SOURCE_LAG.labels(event.source.value, event.hazard_type.value).observe(lag)
        return published
