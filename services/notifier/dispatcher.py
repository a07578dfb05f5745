"""Send jobs concurrently, write their outcomes in batches, and retry what is due.

Three cooperating parts, so that no contact waits for another and the consumer never waits
for a mail server:
- `Dispatcher` runs each job as its own task under a concurrency limit;
- `OutcomeWriter` stores outcomes many at a time (one UPDATE, the Delivery messages and
  dead letters in the same transaction) and only then lets go of the job's key;
- `RetryScheduler` picks up stored jobs that are due: retries after backoff, and anything a
  previous process left pending.
A key stays "in flight" from before its row is committed until its outcome is, so the
scheduler never sends a second copy of a job the dispatcher holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, RetryCallState, wait_exponential, wait_random

from schemas.base import Message, utcnow
from schemas.deliveries import Channel, DeliveryKind, DeliveryStatus
from schemas.dlq import DeadLetter
from schemas.topics import DELIVERIES, dlq
from services.common import metrics
from services.common.errors import DeliveryError
from services.common.logs import get_logger
from services.common.outbox import enqueue
from services.common.settings import NotifierSettings
from services.notifier import store
from services.notifier.chat import ChatChannel
from services.notifier.jobs import Job, Outcome, chat_parts
from services.notifier.mime import check_address
from services.notifier.smtp_pool import SmtpPool

log = get_logger(__name__)

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class DeliveryDeadLetter(DeadLetter):
    """A delivery that failed for good, parked on `deliveries.v1.dlq` with its reason."""

    topic: ClassVar[str] = dlq(DELIVERIES)


class Dispatcher:
    """Hand jobs to their channel, each in its own task, at most `concurrency` at a time."""

    def __init__(
        self,
        settings: NotifierSettings,
        *,
        smtp: SmtpPool,
        chat: ChatChannel,
        report: Callable[[Outcome], None],
    ) -> None:
        self.settings = settings
        self.smtp = smtp
        self.chat = chat
        self.report = report
        self.in_flight: set[str] = set()
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        # Exponential from backoff_initial_s, capped, plus up to one initial step of jitter so
        # contacts that failed together do not retry in lockstep.
        self._wait = wait_exponential(
            multiplier=settings.backoff_initial_s, max=settings.backoff_max_s
        ) + wait_random(0, settings.backoff_initial_s)
        self._sender_address = settings.smtp.from_address

    def reserve(self, keys: Iterable[str]) -> None:
        """Claim keys before their rows commit, so the scheduler leaves them alone."""
        self.in_flight.update(keys)

    def release(self, keys: Iterable[str]) -> None:
        self.in_flight.difference_update(keys)

    def submit(self, jobs: Iterable[Job]) -> None:
        """Start sending jobs now, without waiting for any of them."""
        for job in jobs:
            self.in_flight.add(job.key)
            task = asyncio.create_task(self._run(job), name=f"deliver:{job.key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout_s: float) -> None:
        """Let running sends finish (a cut-off send could be accepted yet not recorded)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
            for task in pending:
                task.cancel()

    async def _run(self, job: Job) -> None:
        # Pages are few and must never wait behind a batch of member alerts.
        urgent = job.kind is DeliveryKind.PAGE
        async with contextlib.nullcontext() if urgent else self._limit:
            started = time.perf_counter()
            job.attempts += 1
            try:
                await self._send(job)
            except DeliveryError as err:
                outcome = self._failed(job, err)
            except Exception as err:
                # A bug must not strand the job in flight: record it and let it retry.
                log.exception("delivery_crashed", key=job.key, activation_id=job.activation_id)
                outcome = self._failed(
                    job, DeliveryError(f"{type(err).__name__}: {err}", permanent=False)
                )
            else:
                outcome = Outcome(job, DeliveryStatus.SENT, utcnow())
            metrics.SEND_LATENCY.labels(job.channel.value).observe(time.perf_counter() - started)
        metrics.DELIVERIES.labels(job.channel.value, job.kind.value, outcome.status.value).inc()
        self.report(outcome)

    async def _send(self, job: Job) -> None:
        if job.channel is Channel.EMAIL:
            check_address(job.recipient)
            await self.smtp.send(
                self._sender_address,
                job.recipient,
                job.payload,
                urgent=job.kind is DeliveryKind.PAGE,
            )
        else:
            title, text = chat_parts(job.body)
            await self.chat.send(job.recipient, title, text)

    def _failed(self, job: Job, err: DeliveryError) -> Outcome:
        now = utcnow()
        if err.permanent or job.attempts >= self.settings.max_attempts:
            log.warning(
                "delivery_failed",
                key=job.key,
                activation_id=job.activation_id,
                attempts=job.attempts,
                permanent=err.permanent,
                error=str(err),
            )
            return Outcome(job, DeliveryStatus.FAILED, now, error=str(err))
        state = RetryCallState(AsyncRetrying(), None, (), {})
        state.attempt_number = job.attempts
        delay = self._wait(state)
        metrics.DELIVERY_RETRIES.labels(job.channel.value).inc()
        log.info(
            "delivery_retry_scheduled",
            key=job.key,
            activation_id=job.activation_id,
            attempt=job.attempts,
            in_s=round(delay, 2),
            error=str(err),
        )
        return Outcome(
            job,
            DeliveryStatus.RETRYING,
            now,
            error=str(err),
            next_attempt_at=now + timedelta(seconds=delay),
        )


class OutcomeWriter:
    """Persist outcomes in batches: status rows, Delivery messages and dead letters together."""

    def __init__(
        self,
        transaction: Transaction,
        consumer: str,
        *,
        on_written: Callable[[list[Outcome]], None],
        batch_size: int = 1000,
        linger_s: float = 0.02,
    ) -> None:
        self.transaction = transaction
        self.consumer = consumer
        self.on_written = on_written
        self.batch_size = batch_size
        self.linger_s = linger_s
        self._queue: asyncio.Queue[Outcome] = asyncio.Queue()
        self._current: list[Outcome] = []

    def put(self, outcome: Outcome) -> None:
        self._queue.put_nowait(outcome)

    async def run(self) -> None:
        """Write batches as outcomes arrive, until cancelled."""
        while True:
            batch = [await self._queue.get()]
            # A short linger turns a burst of 200 sends into a handful of transactions.
            await asyncio.sleep(self.linger_s)
            batch.extend(self._take(self.batch_size - 1))
            # Kept until written: a cancel mid-write must not lose the only record of a send.
            self._current = batch
            await self._write_until_done(batch)
            self._current = []

    async def flush(self) -> None:
        """Write everything queued now, including a batch a cancel interrupted (at shutdown)."""
        if self._current:
            batch, self._current = self._current, []
            await self._write_until_done(batch)
        while not self._queue.empty():
            await self._write_until_done(self._take(self.batch_size))

    def _take(self, limit: int) -> list[Outcome]:
        taken: list[Outcome] = []
        while len(taken) < limit and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    async def _write_until_done(self, batch: list[Outcome]) -> None:
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

    async def _write(self, batch: list[Outcome]) -> None:
        messages: list[Message] = []
        for outcome in batch:
            delivery = outcome.to_delivery()
            messages.append(delivery)
            if outcome.status is DeliveryStatus.FAILED:
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
        async with self.transaction() as session:
            await store.apply_outcomes(session, batch)
            await enqueue(session, *messages)
        dead = sum(1 for o in batch if o.status is DeliveryStatus.FAILED)
        if dead:
            metrics.DEAD_LETTERS.labels(DELIVERIES).inc(dead)


class RetryScheduler:
    """Feed due jobs from the delivery log to the dispatcher."""

    def __init__(
        self,
        sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        dispatcher: Dispatcher,
        *,
        max_idle_s: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.dispatcher = dispatcher
        self.max_idle_s = max_idle_s
        self._wake = asyncio.Event()
        # Rows a previous process recorded but never attempted are due at once after a start.
        self._recovering = True

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Poll for due jobs until cancelled; sleep until the next one is due."""
        while True:
            try:
                pause = await self.run_once()
            except Exception as err:
                log.warning("retry_scan_failed", error=str(err))
                pause = self.max_idle_s
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def run_once(self) -> float:
        """Submit the jobs due now; return how long to sleep before looking again."""
        now = utcnow()
        async with self.sessions() as session:
            jobs = await store.due_jobs(
                session, now, exclude=self.dispatcher.in_flight, all_pending=self._recovering
            )
            upcoming = await store.next_due(session)
        self._recovering = self._recovering and bool(jobs)
        if jobs:
            log.info("due_deliveries_submitted", count=len(jobs))
            self.dispatcher.submit(jobs)
        if upcoming is None:
            return self.max_idle_s
        if upcoming.tzinfo is None:
            upcoming = upcoming.replace(tzinfo=UTC)
        return min(max((upcoming - datetime.now(UTC)).total_seconds(), 0.05), self.max_idle_s)
