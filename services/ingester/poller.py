"""One source's polling loop: fetch, parse, publish what is new, count and log what went wrong.

The loop never ends on bad input: every failure is counted under a closed-set reason, logged
with that reason, and followed by a jittered, growing pause (or the server's Retry-After).
A source with a catch-up query (USGS's FDSN) is asked, after any gap (a failed poll, or a
pause much longer than its interval), for what changed since its last good poll: a
summary feed only covers its own window, and an event missing from it is never taken for
a retraction.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from schemas.hazards import HazardEvent
from services.common.errors import SourceError
from services.common.logs import get_logger
from services.ingester import metrics
from services.ingester.fetch import Fetched, Fetcher
from services.ingester.publisher import Sink
from services.ingester.sources import ItemMemo, read_document
from services.ingester.sources.base import DocumentReason, DocumentRepair, ItemReason, ParseResult

log = get_logger(__name__)

_REASONS = {reason.value: reason for reason in DocumentReason}

Enricher = Callable[[list[HazardEvent]], Awaitable[list[HazardEvent]]]
"""Adds to a document's events before they are published (e.g. situation reports)."""


@dataclass(frozen=True)
class SourceSpec:
    """What to poll and how often; `name` is the `source` label of every metric."""

    name: str
    url: str
    interval_s: float
    max_pages: int = 1
    #: The URL asking what changed since a time, fetched after a gap (None: no catch-up).
    catch_up: Callable[[datetime], str] | None = None


#: A pause this many intervals long is a gap even without a failed poll (a suspended host).
_GAP_INTERVALS = 3


@dataclass
class PollReport:
    """What one poll did, for logs and tests."""

    outcome: str = "ok"  # ok | not_modified | failed
    reason: str | None = None
    detail: str | None = None
    documents: int = 0
    events: int = 0
    published: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)
    retry_after: float | None = None
    caught_up: int | None = None


@dataclass
class Backoff:
    """Exponential backoff with full jitter, reset by a success."""

    initial_s: float
    max_s: float
    failures: int = 0
    rng: Callable[[], float] = random.random

    def after_failure(self, retry_after: float | None = None) -> float:
        self.failures += 1
        ceiling = min(self.max_s, self.initial_s * 2 ** (self.failures - 1))
        # Half fixed, half random: never hammer, yet spread many pollers apart.
        delay = ceiling * (0.5 + self.rng() / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_s))
        return delay

    def after_success(self) -> None:
        self.failures = 0


class Poller:
    """Poll one source on its interval and hand new documents' events to the sink."""

    def __init__(
        self,
        spec: SourceSpec,
        fetcher: Fetcher,
        sink: Sink,
        *,
        max_bytes: int,
        backoff: Backoff,
        enrich: Enricher | None = None,
    ) -> None:
        self.spec = spec
        self.enrich = enrich
        self.memo = ItemMemo()
        self.fetcher = fetcher
        self.sink = sink
        self.max_bytes = max_bytes
        self.backoff = backoff
        self.last_success: datetime | None = None
        self.gap = False
        # Every reason's series exists from the start, so an alert on a ratio sees 0, not "no data".
        metrics.prime_source(spec.name)
        self._rejected = {
            reason: metrics.SOURCE_FAILURES.labels(spec.name, reason.value)
            for reason in DocumentReason
        }
        for item_reason in ItemReason:
            metrics.ITEMS_REJECTED.labels(spec.name, item_reason.value)
        for repair in DocumentRepair:
            metrics.DOCUMENTS_REPAIRED.labels(spec.name, repair.value)

    async def run(self) -> None:
        """Poll until cancelled; nothing a source sends can end this loop."""
        try:
            while True:
                report = await self.poll_once()
                if report.outcome == "failed":
                    delay = self.backoff.after_failure(report.retry_after)
                    log.info(
                        "source_backing_off",
                        source=self.spec.name,
                        failures=self.backoff.failures,
                        next_poll_in_s=round(delay, 2),
                    )
                else:
                    self.backoff.after_success()
                    delay = self.spec.interval_s * (0.9 + random.random() * 0.2)
                await asyncio.sleep(delay)
        finally:
            await self.fetcher.aclose()

    async def poll_once(self) -> PollReport:
        """Fetch the source (following pages), publish what is new, and count the outcome."""
        report = PollReport()
        started = time.perf_counter()
        began = datetime.now(UTC)
        try:
            await self._poll(report)
            await self._catch_up(report, began)
        except SourceError as err:
            self._fail(report, err.reason, err.detail)
            report.retry_after = getattr(err, "retry_after", None)
        except SQLAlchemyError as err:
            # Nothing was published or remembered; the next poll reads the document again.
            log.exception("source_poll_storage_failed", source=self.spec.name)
            self._fail(report, DocumentReason.STORAGE.value, f"{type(err).__name__}: {err}")
        except Exception as err:  # the loop must outlive bugs too; the reason says which
            log.exception("source_poll_crashed", source=self.spec.name)
            self._fail(report, DocumentReason.INTERNAL.value, f"{type(err).__name__}: {err}")
        metrics.SOURCE_POLLS.labels(self.spec.name, report.outcome).inc()
        metrics.FETCH_LATENCY.labels(self.spec.name).observe(time.perf_counter() - started)
        if report.outcome != "failed":
            metrics.SOURCE_LAST_SUCCESS.labels(self.spec.name).set_to_current_time()
        return report

    async def _catch_up(self, report: PollReport, began: datetime) -> None:
        """After a gap, ask the source what changed since the last good poll."""
        since, self.last_success = self.last_success, began
        overdue = since is not None and (began - since).total_seconds() > (
            _GAP_INTERVALS * self.spec.interval_s
        )
        if self.spec.catch_up is None or since is None or not (self.gap or overdue):
            self.gap = False
            return
        try:
            fetched = await self.fetcher.fetch(self.spec.catch_up(since), conditional=False)
            published = (await self._process(fetched))[0] if fetched.body is not None else 0
        except BaseException:
            # Still owed: the next good poll asks again from the same point.
            self.last_success = since
            raise
        self.gap = False
        report.caught_up = published
        log.info(
            "source_caught_up", source=self.spec.name, since=since.isoformat(), published=published
        )

    def _fail(self, report: PollReport, reason: str, detail: str) -> None:
        self.gap = True
        report.outcome = "failed"
        report.reason = reason
        report.detail = detail
        known = _REASONS.get(reason, DocumentReason.INTERNAL)
        self._rejected[known].inc()
        log.warning("source_poll_failed", source=self.spec.name, reason=reason, detail=detail)

    async def _poll(self, report: PollReport) -> None:
        url: str | None = self.spec.url
        page = 0
        while url is not None and page < self.spec.max_pages:
            fetched = await self.fetcher.fetch(url, conditional=page == 0)
            if fetched.body is None:
                report.outcome = "not_modified" if page == 0 else report.outcome
                return
            published, result = await self._process(fetched)
            report.documents += 1
            report.events += len(result.events)
            report.published += published
            report.rejected.update(r.reason.value for r in result.rejections)
            report.repaired.update(r.value for r in result.repairs)
            page += 1
            # Pages come newest first: a page with nothing new means the rest is known too.
            url = result.next_page if published else None

    async def _process(self, fetched: Fetched) -> tuple[int, ParseResult]:
        assert fetched.body is not None
        # Parsing is CPU work (feedparser ~2 ms an item): a thread keeps the relay and the
        # other pollers running meanwhile.
        result = await asyncio.to_thread(
            read_document,
            fetched.body,
            name=fetched.url,
            max_bytes=self.max_bytes,
            memo=self.memo,
        )
        events = await self.enrich(result.events) if self.enrich else result.events
        published = await self.sink.publish_new(events)
        self.fetcher.remember(fetched)
        self._count(result, published)
        return published, result

    def _count(self, result: ParseResult, published: int) -> None:
        source = self.spec.name
        metrics.ITEMS_PARSED.labels(source).inc(len(result.events))
        unplaced = sum(1 for event in result.events if not event.countries)
        if unplaced:
            metrics.EVENTS_UNPLACED.labels(source).inc(unplaced)
        if published:
            metrics.EVENTS_PUBLISHED.labels(source).inc(published)
            log.info(
                "events_published", source=source, published=published, items=len(result.events)
            )
        if result.rejections:
            reasons = Counter(r.reason.value for r in result.rejections)
            for reason, count in reasons.items():
                metrics.ITEMS_REJECTED.labels(source, reason).inc(count)
            first = result.rejections[0]
            log.warning(
                "items_rejected",
                source=source,
                reasons=dict(reasons),
                example=f"{first.item}: {first.reason.value}: {first.detail}",
            )
        for repair in result.repairs:
            metrics.DOCUMENTS_REPAIRED.labels(source, repair.value).inc()
        if result.repairs:
            log.debug("document_repaired", source=source, reasons=[r.value for r in result.repairs])
        if result.dropped_fields:
            fields = Counter(result.dropped_fields)
            for name, count in fields.items():
                metrics.FIELDS_DROPPED.labels(source, name).inc(count)
            log.warning("implausible_fields_dropped", source=source, fields=dict(fields))
