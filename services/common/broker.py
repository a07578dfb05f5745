"""The one broker factory, the consumer wrapper, and the wait for a broker that is not up yet."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from aiokafka import TopicPartition as KafkaTopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TopicPartition
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from structlog.contextvars import bound_contextvars
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    stop_after_attempt,
    wait_exponential_jitter,
)

from schemas.base import Message
from schemas.dlq import DeadLetter
from schemas.topics import dlq
from services.common import metrics
from services.common.logs import broker_reachable, get_logger
from services.common.settings import KafkaSettings

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
Handler = Callable[[M], Awaitable[None]]


def make_broker(kafka: KafkaSettings, service: str) -> KafkaBroker:
    """Build the service's FastStream broker on aiokafka."""
    return KafkaBroker(
        kafka.bootstrap_servers,
        client_id=f"{kafka.client_id_prefix}-{service}",
        acks=kafka.acks,
        enable_idempotence=kafka.enable_idempotence,
        linger_ms=kafka.linger_ms,
        request_timeout_ms=kafka.request_timeout_ms,
        graceful_timeout=10.0,
        # FastStream's own logger prints its own format to stdout; this one goes through the
        # structlog handler (JSON in production) at the level configure_logging gives FastStream.
        logger=logging.getLogger("faststream.standby"),
    )


async def start_consumers(broker: KafkaBroker) -> None:
    """What `broker.start()` does, with every consumer group joined at once (or, with
    `kafka.assign_partitions`, every subscriber's partitions taken at once, decision 0734).

    FastStream starts its subscribers one after another, and each start waits for its group's
    assignment: Tansu holds every join 1 s (decision 0706), so a service with a side group
    (the notifier's pages, duty's delivery reports) took a second more to start than one
    without. Joined together, the groups' holds overlap (decision 0722).
    """
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


def group_id(service: str) -> str:
    return f"standby-{service}"


class Handled:
    """The ids of the messages this process handled lately (its handler returned).

    When the embedded broker is replaced, every service publishes its recent outbox again
    (decision 0702), and each consumer reads it all again before what came after: on a busy
    machine the inbox's transaction per message took 16-34 ms, so a few dozen replayed
    messages held a new disaster back by seconds. A message this process handled is skipped
    without a transaction; one it never saw (or forgot: `keep_s`, `most`) is still claimed
    against the inbox, which stays the rule (decision 0722).
    """

    def __init__(self, keep_s: float, most: int = 100_000) -> None:
        self.keep_s = keep_s
        self.most = most
        self._ids: OrderedDict[UUID, float] = OrderedDict()

    def add(self, message_id: UUID, now: float) -> None:
        self._ids[message_id] = now
        while self._ids and (
            len(self._ids) > self.most or next(iter(self._ids.values())) < now - self.keep_s
        ):
            self._ids.popitem(last=False)

    def __contains__(self, message_id: UUID) -> bool:
        return message_id in self._ids


class LaterCommits:
    """Commits of the messages a consumer skipped as handled before, off its read path.

    A commit is a round trip to the broker, and FastStream's acknowledgement awaits it before
    the next message is read: a replayed outbox (decision 0702) of a few hundred messages,
    each skipped in microseconds, took 7-100 ms a message in commits (300 in 2.3 s on a busy
    machine), and a new disaster's message waited behind them. Skipped offsets are committed
    in the background instead, one commit at a time, each carrying the furthest offset skipped
    so far (decision 0735). A commit that lands after a later message's own goes back a few
    offsets at most: those are read again and found in the inbox.
    """

    def __init__(self) -> None:
        # Per consumer: offsets of one broker's records mean nothing to the next one's.
        self._consumer: Any = None
        self._offsets: dict[KafkaTopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, message: KafkaMessage) -> None:
        consumer = getattr(message, "consumer", None)
        if consumer is None:
            return
        if consumer is not self._consumer:
            self._consumer, self._offsets = consumer, {}
        raw = message.raw_message
        record = raw[0] if isinstance(raw, tuple) else raw
        self._offsets[KafkaTopicPartition(record.topic, record.partition)] = record.offset + 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit(), name="commit-skipped")

    async def _commit(self) -> None:
        while self._offsets:
            consumer, offsets, self._offsets = self._consumer, self._offsets, {}
            try:
                await consumer.commit(offsets)
            except Exception as err:  # the consumer stopped, or the broker went: read again
                log.debug("skipped_commit_failed", error=repr(err))


class Routes:
    """The topics a service consumes and the handler of each, served by one group consumer.

    One subscriber over all of a service's topics means one consumer-group join at start
    (the embedded broker holds each join ~5 s), and one place that decides between retry,
    dead-letter and commit.
    """

    def __init__(self, kafka: KafkaSettings, service: str) -> None:
        self.kafka = kafka
        self.consumer = group_id(service)
        self._routes: dict[str, tuple[type[Message], Handler[Any]]] = {}
        # As long as a relay replays its outbox after a broker replacement.
        self.handled = Handled(keep_s=kafka.replay_window_s)
        self._skipped = LaterCommits()

    def add(self, topic: str, model: type[M], handler: Handler[M]) -> None:
        if topic in self._routes:
            raise ValueError(f"{topic} already has a handler")
        self._routes[topic] = (model, handler)

    @property
    def topics(self) -> list[str]:
        return list(self._routes)

    def attach(self, broker: KafkaBroker) -> None:
        """Register the one subscriber on the broker (before it starts)."""
        if not self._routes:
            return
        common: dict[str, Any] = {
            # Offsets are committed under the group either way: a restarted process reads on
            # from where its predecessor committed.
            "group_id": self.consumer,
            "auto_offset_reset": "earliest",
            "fetch_max_wait_ms": self.kafka.fetch_max_wait_ms,
            # Acknowledged in `_handler_for`: a skipped replay is committed off the read path.
            "ack_policy": AckPolicy.MANUAL,
        }
        if self.kafka.assign_partitions:
            # The one process of its role needs no group: Tansu holds a join 1 s, and 1-4 s
            # more after a kill, until the dead member's session ends (decision 0734).
            subscriber = broker.subscriber(
                partitions=[TopicPartition(topic, 0) for topic in self._routes], **common
            )
        else:
            subscriber = broker.subscriber(
                *self._routes,
                heartbeat_interval_ms=self.kafka.heartbeat_interval_ms,
                session_timeout_ms=self.kafka.session_timeout_ms,
                **common,
            )
        subscriber(self._handler_for(broker))

    def _handler_for(self, broker: KafkaBroker) -> Callable[[KafkaMessage], Awaitable[None]]:
        async def on_message(message: KafkaMessage) -> None:
            try:
                worked = await self.dispatch(broker, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Read again from this record, as FastStream's NACK_ON_ERROR would.
                await message.nack()
                raise
            if worked:
                await message.ack()
            else:
                self._skipped.add(message)

        return on_message

    async def dispatch(self, broker: KafkaBroker, message: KafkaMessage) -> bool:
        """Validate and handle one record; dead-letter it when it cannot be taken. Return
        False for a message this process handled before (skipped, its commit left for later)."""
        raw = message.raw_message
        record = raw[0] if isinstance(raw, tuple) else raw
        topic: str = record.topic
        body: bytes = message.body
        model, handler = self._routes[topic]
        try:
            payload = model.model_validate_json(body)
        except ValidationError as err:
            await _dead_letter(broker, topic, self.consumer, record, body, err, attempts=1)
            return True
        if payload.id in self.handled:
            log.debug("duplicate_message_skipped", topic=topic, message_id=str(payload.id))
            metrics.MESSAGES_CONSUMED.labels(topic).inc()
            return False
        # Every log line written while handling a message about an activation names it.
        with bound_contextvars(**_correlation(payload)):
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.kafka.handler_attempts),
                    wait=wait_exponential_jitter(multiplier=0.1, max=2.0, jitter=0.1),
                    reraise=True,
                    before_sleep=_log_retry(topic),
                ):
                    with attempt:
                        await handler(payload)
            except Exception as err:
                metrics.HANDLER_ERRORS.labels(topic, "dead_lettered").inc()
                log.exception("handler_failed", topic=topic, message_id=str(payload.id))
                await _dead_letter(
                    broker,
                    topic,
                    self.consumer,
                    record,
                    body,
                    err,
                    attempts=self.kafka.handler_attempts,
                )
                return True
            self.handled.add(payload.id, time.monotonic())
            metrics.MESSAGES_CONSUMED.labels(topic).inc()
            broker_reachable()
            return True


def _correlation(payload: Message) -> dict[str, str]:
    """Pick the activation and incident ids a message carries, to bind to its log lines."""
    ids = {}
    for name in ("activation_id", "incident_id"):
        value = getattr(payload, name, None)
        if value is not None:
            ids[name] = str(value)
    return ids


def _log_retry(topic: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        metrics.HANDLER_ERRORS.labels(topic, "retried").inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning("handler_retry", topic=topic, attempt=state.attempt_number, error=str(error))

    return before_sleep


async def _dead_letter(
    broker: KafkaBroker,
    topic: str,
    consumer: str,
    record: Any,
    body: bytes,
    err: BaseException,
    *,
    attempts: int,
) -> None:
    letter = DeadLetter(
        original_topic=topic,
        consumer=consumer,
        partition=getattr(record, "partition", None),
        offset=getattr(record, "offset", None),
        key=_decode(getattr(record, "key", None)),
        payload=body.decode("utf-8", errors="replace"),
        error_type=type(err).__name__,
        error=str(err)[:4000],
        attempts=attempts,
    )
    await broker.publish(letter.model_dump_json().encode(), dlq(topic))
    metrics.DEAD_LETTERS.labels(topic).inc()
    log.warning(
        "message_dead_lettered", topic=topic, error_type=letter.error_type, error=letter.error[:300]
    )


def _decode(key: bytes | str | None) -> str | None:
    if key is None or isinstance(key, str):
        return key
    return key.decode("utf-8", errors="replace")


async def publish_raw(broker: KafkaBroker, payload: bytes, topic: str, key: bytes | None) -> None:
    """Publish an already-serialised message (what the outbox holds)."""
    await broker.publish(payload, topic, key=key, headers={"content-type": "application/json"})
    broker_reachable()
