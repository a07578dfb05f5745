"""Send jobs concurrently and retry what is due.

Two of the three cooperating parts (the third, `OutcomeWriter`, stores what came of each
send), so that no contact waits for another and the consumer never waits for a mail server:
- `Dispatcher` sends jobs from a queue with a fixed number of workers; pages at once;
- `RetryScheduler` picks up stored jobs that are due: retries after backoff, and anything a
  previous process left pending.
A key stays "in flight" from before its row is committed until its outcome is, so the
scheduler never sends a second copy of a job the dispatcher holds.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial

from tenacity import AsyncRetrying, RetryCallState, wait_exponential, wait_random

from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind, DeliveryStatus
from services.common.db import Transaction
from services.common.errors import DeliveryError
from services.common.logs import get_logger
from services.common.presence import ProcessPresence
from services.common.settings import NotifierSettings
from services.common.wakeup import WakeUpLoop
from services.notifier import metrics, store
from services.notifier.chat import ChatChannel
from services.notifier.jobs import Attempt, Job, chat_parts
from services.notifier.mime import check_address
from services.notifier.page_first import PageFirst
from services.notifier.smtp_pool import SmtpPool
from services.notifier.unmarked import UnmarkedLimit

log = get_logger(__name__)


class Dispatcher:
    """Hand jobs to their channel, at most `concurrency` at a time; pages at once."""

    def __init__(
        self,
        settings: NotifierSettings,
        *,
        smtp: SmtpPool,
        chat: ChatChannel,
        report: Callable[[Attempt], None],
        presence: ProcessPresence,
        page_first: PageFirst | None = None,
    ) -> None:
        self.settings = settings
        # Member sends wait while a page is in hand; a page's send holds them (decision 0740).
        self.page_first = page_first or PageFirst()
        # Whose rows the jobs it records are: a replica takes them over if this process dies.
        self.presence = presence
        self.smtp = smtp
        self.chat = chat
        self.report = report
        # Member mails the server may have accepted whose outcome is not stored: what a
        # crash can repeat (decision 0707).
        self.unmarked = UnmarkedLimit(settings.smtp.max_unmarked)
        self.in_flight: set[str] = set()
        # A fixed set of workers drains one queue: a task per job cost ~20 µs of CPU a mail,
        # a tenth of the notifier's own share of a fan-out.
        self._queue: deque[Job] = deque()
        self._workers: set[asyncio.Task[None]] = set()
        self._urgent: set[asyncio.Task[None]] = set()
        self._stopping = False
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
        """The keys' outcomes are stored: the scheduler may see them, and their mails are
        no longer among those a crash would repeat."""
        done = set(keys)
        self.in_flight.difference_update(done)
        self.unmarked.release(done)

    def submit(self, jobs: Iterable[Job]) -> None:
        """Start sending jobs now, without waiting for any of them."""
        for job in jobs:
            self.in_flight.add(job.key)
            if job.kind is DeliveryKind.PAGE:
                # Pages are few and must never wait behind a batch of member alerts.
                self.page_first.take()
                task = asyncio.create_task(self._run(job), name=f"page:{job.key}")
                self._urgent.add(task)
                task.add_done_callback(self._page_sent)
            else:
                self._queue.append(job)
        while self._queue and len(self._workers) < self.settings.concurrency:
            worker = asyncio.create_task(self._work(), name="deliver")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def drain(self, timeout_s: float) -> None:
        """Finish the sends under way (a cut-off send could be accepted yet not recorded).

        Jobs not started stay `pending` in the delivery log; the next process sends them.
        """
        self._stopping = True
        # The stop stores every outcome before the process exits: nothing to bound.
        self.unmarked.lift()
        running = self._workers | self._urgent
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout_s)
            for task in pending:
                task.cancel()

    def _page_sent(self, task: asyncio.Task[None]) -> None:
        self._urgent.discard(task)
        self.page_first.done()

    async def _work(self) -> None:
        queue = self._queue
        while queue and not self._stopping:
            await self._run(queue.popleft())

    async def _run(self, job: Job) -> None:
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
            outcome = Attempt(job, DeliveryStatus.SENT, utcnow())
        self.report(outcome)
        metrics.SEND_LATENCY.labels(job.channel.value).observe(time.perf_counter() - started)
        metrics.DELIVERIES.labels(job.channel.value, job.kind.value, outcome.status.value).inc()

    async def _send(self, job: Job) -> None:
        if job.channel is Channel.EMAIL:
            check_address(job.recipient)
            page = job.kind is DeliveryKind.PAGE
            await self.smtp.send(
                self._sender_address,
                job.recipient,
                job.payload,
                urgent=page,
                before_start=None if page else self.page_first.members_may_go,
                before_message=None if page else partial(self.unmarked.hold, job.key),
            )
        else:
            title, text = chat_parts(job.body)
            await self.chat.send(job.recipient, title, text)

    def _failed(self, job: Job, err: DeliveryError) -> Attempt:
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
            return Attempt(job, DeliveryStatus.FAILED, now, error=str(err))
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
        return Attempt(
            job,
            DeliveryStatus.RETRYING,
            now,
            error=str(err),
            next_attempt_at=now + timedelta(seconds=delay),
        )


class RetryScheduler:
    """Feed due jobs from the delivery log to the dispatcher, and a dead process's orphans."""

    def __init__(
        self,
        transaction: Transaction,
        dispatcher: Dispatcher,
        presence: ProcessPresence,
        *,
        max_idle_s: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clock = clock
        self.transaction = transaction
        self.dispatcher = dispatcher
        self.presence = presence
        # At most this long before a dead process's deliveries are taken over.
        self.max_idle_s = max_idle_s
        self._loop = WakeUpLoop(self.run_once, failed="retry_scan_failed", retry_s=max_idle_s)

    def wake(self) -> None:
        self._loop.kick()

    async def run(self) -> None:
        """Poll for due jobs until cancelled; sleep until the next one is due."""
        await self._loop.run()

    async def run_once(self) -> float:
        """Submit the jobs due now; return how long to sleep before looking again."""
        await self.presence.ready.wait()
        now = self.clock()
        async with self.transaction() as session:
            jobs = await store.claim_due(
                session, now, self.presence, exclude=self.dispatcher.in_flight
            )
            upcoming = await store.next_due(session)
        if jobs:
            log.info("due_deliveries_submitted", count=len(jobs))
            self.dispatcher.submit(jobs)
        if upcoming is None:
            return self.max_idle_s
        if upcoming.tzinfo is None:
            upcoming = upcoming.replace(tzinfo=UTC)
        return min(max((upcoming - self.clock()).total_seconds(), 0.05), self.max_idle_s)
