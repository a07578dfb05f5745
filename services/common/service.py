"""The composition root every service runs in: settings, logs, metrics, database, broker, relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.members import MemberDirectory
from schemas.topics import ALL_TOPICS
from services.common import metrics
from services.common.broker import (
    Handler,
    M,
    Routes,
    make_broker,
    publish_raw,
    start_consumers,
)
from services.common.db import Database
from services.common.erasure import Eraser, PersonalData
from services.common.kafka_admin import ensure_topics, wait_for_broker
from services.common.keys import key_ring
from services.common.lag import LagMonitor
from services.common.logs import configure_logging, get_logger, register_secrets, secret_values
from services.common.outbox import OutboxRelay
from services.common.production import check_production
from services.common.retention import Pruner, Rule, common_rules
from services.common.settings import AT_WORK_DIR, BROKER_FILE, ServiceName, Settings
from services.common.unit_of_work import UnitOfWork, units_of_work

log = get_logger(__name__)

# A connect or join the broker failed is tried again after 0.5 s, then 1, 2, 4, 5, 5... s.
_RETRY_FIRST_S = 0.5
_RETRY_MAX_S = 5.0
# How long a stop may take before the process ends anyway; under the supervisor's 15 s grace.
_STOP_DEADLINE_S = 12.0

Background = Callable[[], Coroutine[Any, Any, None]]


def package_version() -> str:
    try:
        return version("standby")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class ServiceContext:
    """What a service's handlers and tasks are built from."""

    name: ServiceName
    settings: Settings
    db: Database
    broker: KafkaBroker
    relay: OutboxRelay
    routes: Routes
    background: list[Background] = field(default_factory=list)
    # Jobs that need only the database (the duty console): they run from before the broker
    # answers, so they keep serving while it is away; what they publish waits in the outbox.
    offline: list[Background] = field(default_factory=list)
    # Why the service ended on its own, when an offline job failed before the broker answered.
    failure: BaseException | None = None
    # Set (with the new broker's epoch) when the broker was replaced: drop the clients of the
    # lost one and connect again, in this process (decision 0702).
    reconnect: asyncio.Event = field(default_factory=asyncio.Event)
    epoch: str = ""
    closing: set[asyncio.Task[None]] = field(default_factory=set)
    side_routes: dict[str, Routes] = field(default_factory=dict)
    # The service's own tables on the retention schedule (the inbox and outbox are added), and
    # where it erases the personal data of members who left the directory.
    retention: list[Rule] = field(default_factory=list)
    eraser: Eraser | None = None

    def subscribe(
        self, topic: str, model: type[M], handler: Handler[M], *, side_group: str | None = None
    ) -> None:
        """Route a topic to a handler; `side_group` gives a topic a consumer group of its own,
        joined beside the main one, whose messages are handled beside the main group's rather
        than between them: a bulky, low-priority topic never delays the others, and an urgent
        one (the notifier's pages) never waits behind a long handler (a member fan-out)."""
        if side_group is None:
            self.routes.add(topic, model, handler)
            return
        name = f"{self.name}-{side_group}"
        self.side_routes.setdefault(name, Routes(self.settings.kafka, name)).add(
            topic, model, handler
        )

    def erase_personal_data(
        self, places: Sequence[PersonalData], directory: Callable[[], MemberDirectory]
    ) -> None:
        """Erase members' personal data kept in `places` once they have left `directory`."""
        self.eraser = Eraser(
            self.db,
            places,
            directory,
            erase_after=self.settings.retention.erase_after,
            key=key_ring(self.settings, "erasure")[-1],
        )

    def work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One unit of work; the relay is woken only after it commits."""
        return units_of_work(self.db, on_commit=self.relay.kick)()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A bare transaction, the relay woken after it commits (paths not yet on `work()`)."""
        async with self.db.transaction() as session:
            yield session
        self.relay.kick()


def build_context(
    name: ServiceName, settings: Settings, *, db: Database | None = None
) -> ServiceContext:
    """Build a service's dependencies without doing any I/O."""
    database = db or Database(
        settings.database_url_for(name), name, schema=settings.database_schema_for(name)
    )
    broker = make_broker(settings.kafka, name)
    return ServiceContext(
        name=name,
        settings=settings,
        db=database,
        broker=broker,
        relay=_relay(database, broker, settings, settings.kafka.epoch),
        routes=Routes(settings.kafka, name),
        epoch=settings.kafka.epoch,
    )


def _relay(db: Database, broker: KafkaBroker, settings: Settings, epoch: str) -> OutboxRelay:
    return OutboxRelay(
        db,
        partial(publish_raw, broker),
        epoch=epoch,
        replay_window=timedelta(seconds=settings.kafka.replay_window_s),
    )


@asynccontextmanager
async def running(ctx: ServiceContext) -> AsyncIterator[ServiceContext]:
    """Migrate, connect, relay and run the background tasks; undo it all on exit."""
    await ctx.db.migrate()
    if ctx.db.is_sqlite:
        # Replicas take row leases and advisory locks that only PostgreSQL has (decision 0701).
        log.info(
            "single_process_mode",
            service=ctx.name,
            reason="SQLite database: run one process of this service; replicas need PostgreSQL",
        )
    offline = [
        asyncio.create_task(job(), name=getattr(job, "__name__", "job"))
        for job in [*ctx.offline, _pruner(ctx).run]
    ]
    current = asyncio.current_task()

    def end_on_failure(task: asyncio.Task[None]) -> None:
        # An offline job that fails (the console's port taken) ends the service at once, not
        # after the broker wait and the group join.
        if task.cancelled() or task.exception() is None or current is None:
            return
        ctx.failure = task.exception()
        log.error("job_failed", job=task.get_name(), error=repr(ctx.failure))
        current.cancel()

    for task in offline:
        task.add_done_callback(end_on_failure)
    try:
        async with _connected(ctx, offline):
            yield ctx
    finally:
        for task in offline:
            task.remove_done_callback(end_on_failure)
            task.cancel()
        for task in offline:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await ctx.db.dispose()


def _pruner(ctx: ServiceContext) -> Pruner:
    """The retention schedule's job: it needs only the database, so it runs with the broker away."""
    retention = ctx.settings.retention
    return Pruner(
        ctx.db,
        [*common_rules(ctx.settings), *ctx.retention],
        batch_size=retention.batch_size,
        interval_s=retention.interval_s,
        eraser=ctx.eraser,
    )


async def _connect(ctx: ServiceContext) -> None:
    """Wait for the broker, then producer and relay first, consumers last."""
    await wait_for_broker(ctx.settings.kafka.bootstrap_servers)
    await ensure_topics(ctx.settings.kafka.bootstrap_servers, ALL_TOPICS)
    ctx.routes.attach(ctx.broker)
    for side in ctx.side_routes.values():
        side.attach(ctx.broker)
    # A consumer-group join takes 5-18 s on the embedded broker after a crash, and nothing
    # already decided (an outbox row, a duty escalation falling due) should wait for it.
    await ctx.broker.connect()
    await ctx.relay.start()


async def _disconnect(relay: OutboxRelay, broker: KafkaBroker, *, grace_s: float) -> None:
    """Stop a lost broker's relay and clients; past `grace_s` each is given up."""
    for closing in (relay.stop(), broker.stop()):
        try:
            await asyncio.wait_for(closing, grace_s)
        except Exception as err:
            log.warning("lost_broker_clients_not_closed", error=repr(err))


def _replace_clients(ctx: ServiceContext, *, replaced: bool = True) -> None:
    """Make new clients for the broker's successor (or, after a failed try, for the same
    broker again); the old clients close beside them."""
    ctx.reconnect.clear()
    if replaced:
        log.info("broker_replaced_reconnecting", epoch=ctx.epoch)
    # The lost broker's clients wedge (NOTES); what they did not hand over stays in the
    # outbox, and the new relay replays the recent rows for the new epoch. They point at the
    # lost broker's port, so they are closed beside the new ones, not before them.
    closing = asyncio.create_task(_disconnect(ctx.relay, ctx.broker, grace_s=10.0))
    ctx.closing.add(closing)
    closing.add_done_callback(ctx.closing.discard)
    ctx.broker = make_broker(ctx.settings.kafka, ctx.name)
    ctx.relay = _relay(ctx.db, ctx.broker, ctx.settings, ctx.epoch)


async def _unless_replaced(ctx: ServiceContext, step: Callable[[], Awaitable[None]]) -> bool:
    """Run one step of connecting; give it up (False) if the broker is replaced first.

    A step for a lost broker never ends (a group join waits on it for good), and the
    service's jobs and console must not be restarted to get past it (decision 0702).
    """
    if ctx.reconnect.is_set():
        return False
    work = asyncio.ensure_future(step())
    replaced = asyncio.create_task(ctx.reconnect.wait(), name="reconnect")
    try:
        await asyncio.wait([work, replaced], return_when=asyncio.FIRST_COMPLETED)
    finally:
        replaced.cancel()
        if not work.done():
            work.cancel()
            # Its clients are closed beside the new ones; a step that ignores the cancel is
            # not waited for.
            await asyncio.wait([work], timeout=1.0)
    if work.cancelled():
        return False
    work.result()
    return True


async def _join(ctx: ServiceContext, connected: Callable[[], None]) -> None:
    """Connect (then call `connected`) and join the groups, starting again with new clients
    each time the broker is replaced before that ends, whether starting or running.

    A try the broker fails (it died while topics were created or a group joined) is tried
    again in this process: the supervisor's next broker, or the same one back, is waited
    for here rather than by a restart of the whole service (decision 0702).
    """
    failed = 0
    while True:
        if ctx.reconnect.is_set() or failed:
            _replace_clients(ctx, replaced=ctx.reconnect.is_set())
        try:
            if not await _unless_replaced(ctx, partial(_connect, ctx)):
                continue
            connected()
            if await _unless_replaced(ctx, partial(start_consumers, ctx.broker)):
                return
        except (KafkaError, OSError, TimeoutError) as err:
            failed += 1
            pause = min(_RETRY_MAX_S, _RETRY_FIRST_S * 2 ** (failed - 1))
            log.warning("broker_connect_failed", error=repr(err), tries=failed, retry_in_s=pause)
            # A replacement announced meanwhile is taken at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ctx.reconnect.wait(), pause)


def _lag_monitors(ctx: ServiceContext) -> list[asyncio.Task[None]]:
    helpers: list[asyncio.Task[None]] = []
    for routes in (ctx.routes, *ctx.side_routes.values()):
        if routes.topics and ctx.settings.kafka.lag_interval_s > 0:
            lag = LagMonitor(
                ctx.settings.kafka.bootstrap_servers,
                routes.consumer,
                routes.topics,
                interval_s=ctx.settings.kafka.lag_interval_s,
            )
            # Not among the awaited jobs: the lag job never ends on its own.
            helpers.append(asyncio.create_task(lag.run(), name=f"consumer_lag:{routes.consumer}"))
    return helpers


@asynccontextmanager
async def _connected(
    ctx: ServiceContext, offline: list[asyncio.Task[None]]
) -> AsyncIterator[ServiceContext]:
    tasks: list[asyncio.Task[None]] = []
    helpers: list[asyncio.Task[None]] = []

    def connected() -> None:
        # The jobs start once, before the first group join; the lag monitors follow the broker.
        nonlocal helpers
        if not tasks:
            tasks.extend(
                asyncio.create_task(job(), name=getattr(job, "__name__", "job"))
                for job in ctx.background
            )
        for helper in helpers:
            helper.cancel()
        helpers = _lag_monitors(ctx)

    try:
        await _join(ctx, connected)
        yield ctx
        # The jobs need only the database: they run on through a broker replacement.
        while tasks or offline:
            replaced = asyncio.create_task(ctx.reconnect.wait(), name="reconnect")
            done, _ = await asyncio.wait(
                [*tasks, *offline, replaced], return_when=asyncio.FIRST_COMPLETED
            )
            replaced.cancel()
            if ctx.reconnect.is_set():
                await _join(ctx, connected)
                log.info("broker_reconnected", epoch=ctx.epoch)
                continue
            for task in done:
                task.result()
            break
    finally:
        for task in tasks + helpers + list(ctx.closing):
            task.cancel()
        for task in tasks + helpers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await ctx.relay.stop()
        await ctx.broker.stop()


@asynccontextmanager
async def serving(
    name: ServiceName, settings: Settings, setup: Callable[[ServiceContext], Awaitable[None]]
) -> AsyncIterator[ServiceContext]:
    """Build one service and run it in the background until the block ends (tests, benchmarks)."""
    ctx = build_context(name, settings)
    await setup(ctx)
    stop = asyncio.Event()

    async def until_stopped() -> None:
        await stop.wait()

    async def run() -> None:
        async with running(ctx):
            pass

    ctx.background.append(until_stopped)
    task = asyncio.create_task(run(), name=f"serving-{ctx.name}")
    try:
        yield ctx
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def _note_at_work(settings: Settings, name: ServiceName) -> None:
    """Tell `standby run` this process got to work: its death is no crash loop's."""
    folder = settings.var_dir / AT_WORK_DIR
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(str(os.getpid()))


def _stop_overdue() -> None:
    log.error("stop_overdue", deadline_s=_STOP_DEADLINE_S)
    logging.shutdown()
    os._exit(1)


def follow_broker_file(ctx: ServiceContext, *, missing_ok: bool = False) -> None:
    """Take up the broker named in var/broker.json if it is not this service's (SIGHUP).

    `standby run` writes the file each time it starts an embedded broker; running or still
    starting, the service then replaces its clients in this process (`_join`, decision 0702).
    """
    try:
        new = json.loads((ctx.settings.var_dir / BROKER_FILE).read_text())
    except FileNotFoundError:
        if not missing_ok:
            log.error("broker_file_unreadable", error="no broker file")
        return
    except (OSError, ValueError) as err:
        log.error("broker_file_unreadable", error=str(err))
        return
    if str(new["epoch"]) == ctx.epoch:
        return
    ctx.epoch = str(new["epoch"])
    ctx.settings.kafka.bootstrap_servers = str(new["bootstrap_servers"])
    ctx.reconnect.set()


async def serve(
    name: ServiceName, settings: Settings, setup: Callable[[ServiceContext], Awaitable[None]]
) -> None:
    """Run one service in the foreground until SIGINT or SIGTERM."""
    configure_logging(name, level=settings.log_level, fmt=settings.log_format)
    register_secrets(*secret_values(settings))
    # Before anything listens: no example file and no published password in production.
    check_production(settings, name)
    metrics.start_metrics(
        name, settings.metrics_port_for(name), package_version(), host=settings.metrics_host
    )
    ctx = build_context(name, settings)
    await setup(ctx)
    stop = asyncio.Event()
    started = False

    async def until_stopped() -> None:
        await stop.wait()

    async def run() -> None:
        nonlocal started
        await ctx.db.migrate_in_child()
        async with running(ctx):
            started = True
            log.info("service_started")
            if settings.kafka.epoch:
                _note_at_work(settings, name)

    ctx.background.append(until_stopped)
    log.info("service_starting", bootstrap_servers=settings.kafka.bootstrap_servers)
    task = asyncio.create_task(run(), name=f"service-{name}")

    def on_signal() -> None:
        # Running: finish the work in hand. Still starting (waiting for the broker or the
        # group join): give up the start at once instead of waiting it out.
        stop.set()
        if not started:
            task.cancel()
        # A stop that cannot end (closing clients that wait on a broker gone with a killed
        # supervisor) must not leave an orphan holding ports and a database: past the deadline
        # the process ends as a crash would, which every message already survives. (The orphan
        # once seen was a child started as the supervisor died: `processes.die_with_parent`.)
        loop.call_later(_STOP_DEADLINE_S, _stop_overdue)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    loop.add_signal_handler(signal.SIGHUP, partial(follow_broker_file, ctx))
    if settings.kafka.epoch:
        # `standby run` starts services with SIGHUP ignored until here: a replacement signalled
        # while this process was importing is in the file already.
        follow_broker_file(ctx, missing_ok=True)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if ctx.failure is not None:
        raise ctx.failure
    log.info("service_stopped")
