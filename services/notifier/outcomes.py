"""Store what came of each send within milliseconds: the mark that keeps a crash from repeating it.

A mail the server accepted is marked `sent` in the delivery log by the next group commit,
a few milliseconds later; after a crash only the jobs never marked are sent again (decision
0400). One commit carries every outcome that arrived meanwhile: the status rows, their
`Delivery` messages and, for failures, `DeadLetter`s on `deliveries.v1.dlq`, through the
outbox. A commit per mail would cost more CPU than the send itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import ClassVar

from schemas.base import Message
from schemas.deliveries import DeliveryStatus
from schemas.dlq import DeadLetter
from schemas.topics import DELIVERIES, dlq
from services.common import metrics
from services.common.logs import get_logger
from services.notifier.delivery_log import DeliveryLog
from services.notifier.jobs import Attempt

log = get_logger(__name__)


class DeliveryDeadLetter(DeadLetter):
    """A delivery that failed for good, parked on `deliveries.v1.dlq` with its reason."""

    topic: ClassVar[str] = dlq(DELIVERIES)


class OutcomeWriter:
    """Persist outcomes by group commit: status rows, Delivery messages and dead letters."""

    def __init__(
        self,
        delivery_log: DeliveryLog,
        consumer: str,
        *,
        on_written: Callable[[list[Attempt]], None],
        batch_size: int = 1000,
        linger_s: float = 0.004,
        outstanding: Callable[[], int] | None = None,
    ) -> None:
        self.delivery_log = delivery_log
        self.consumer = consumer
        self.on_written = on_written
        self.batch_size = batch_size
        self.linger_s = linger_s
        # How many sends are past their DATA with no outcome stored: once that many outcomes
        # wait, no more company is coming (the sends wait for these marks), so no lingering.
        self.outstanding = outstanding
        self._arrived = asyncio.Event()
        self._queue: asyncio.Queue[Attempt] = asyncio.Queue()
        self._current: list[Attempt] = []

    def put(self, outcome: Attempt) -> None:
        self._queue.put_nowait(outcome)
        self._arrived.set()

    async def run(self) -> None:
        """Write batches as outcomes arrive, until cancelled."""
        while True:
            first = await self._queue.get()
            if self._queue.empty():
                # A lone outcome waits a few ms for company: a commit costs ~0.7 ms of CPU,
                # so at 2,000 mails/s one per mail would starve the sends. Outcomes that
                # queued up during the previous commit have waited already and go at once.
                await self._linger()
            batch = [first, *self._take(self.batch_size - 1)]
            # Kept until written: a cancel mid-write must not lose the only record of a send.
            self._current = batch
            await self._write_until_done(batch)
            self._current = []

    async def _linger(self) -> None:
        if self.outstanding is None:
            await asyncio.sleep(self.linger_s)
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + self.linger_s
        while self._queue.qsize() + 1 < self.outstanding() and loop.time() < until:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(until):
                    await self._arrived.wait()

    async def flush(self) -> None:
        """Write everything queued now, including a batch a cancel interrupted (at shutdown)."""
        if self._current:
            batch, self._current = self._current, []
            await self._write_until_done(batch)
        while not self._queue.empty():
            await self._write_until_done(self._take(self.batch_size))

    def _take(self, limit: int) -> list[Attempt]:
        taken: list[Attempt] = []
        while len(taken) < limit and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    async def _write_until_done(self, batch: list[Attempt]) -> None:
        delay = 0.1
        while True:
            try:
                await self._write(batch)
            except Exception as err:
                # The outcome is the only record that a mail went out: never drop it.
                log.warning("delivery_log_write_failed", rows=len(batch), error=str(err))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.on_written(batch)
            return

    async def _write(self, batch: list[Attempt]) -> None:
        messages: list[Message] = []
        dead = 0
        for outcome in batch:
            delivery = outcome.to_delivery()
            messages.append(delivery)
            if outcome.status is DeliveryStatus.FAILED:
                dead += 1
                messages.append(
                    DeliveryDeadLetter(
                        original_topic=DELIVERIES,
                        consumer=self.consumer,
                        key=outcome.job.key,
                        payload=delivery.model_dump_json(),
                        error_type="DeliveryError",
                        error=outcome.error or "failed",
                        attempts=max(outcome.job.attempts, 1),
                    )
                )
        await self.delivery_log.mark(batch, messages)
        if dead:
            metrics.DEAD_LETTERS.labels(DELIVERIES).inc(dead)
