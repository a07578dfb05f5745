"""Waiting for the broker and creating topics: what the supervisor needs, without FastStream.

Kept apart from `broker` so the supervisor process (`standby run`) imports only aiokafka.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential_jitter,
)

from services.common.logs import (
    broker_address,
    broker_reachable,
    broker_unreachable,
    get_logger,
)

log = get_logger(__name__)


async def wait_for_broker(bootstrap_servers: str, *, timeout_s: float = 300) -> None:
    """Wait, with backoff and a log line per try, until the broker answers."""

    def say_waiting(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        # One line when the wait starts, then the outage's rate-limited summaries.
        broker_unreachable(f"{bootstrap_servers}: {error!r}")

    broker_address(bootstrap_servers)
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(timeout_s),
        wait=wait_exponential_jitter(multiplier=0.1, max=5.0, jitter=0.2),
        retry=retry_if_exception_type((KafkaError, OSError, asyncio.TimeoutError)),
        before_sleep=say_waiting,
        reraise=True,
    ):
        with attempt:
            # A plain connect first: aiokafka logs an error of its own for every refused try.
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 3)
            writer.close()
            producer = AIOKafkaProducer(
                bootstrap_servers=bootstrap_servers, request_timeout_ms=3000
            )
            try:
                await producer.start()
            finally:
                await producer.stop()
    broker_reachable()


async def ensure_topics(
    bootstrap_servers: str, topics: tuple[str, ...], *, partitions: int = 1
) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(name=t, num_partitions=partitions, replication_factor=1) for t in missing]
            )
            log.info("topics_created", topics=missing)
    finally:
        await admin.close()
