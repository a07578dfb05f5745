"""Consumer lag: how far a service's consumer group is behind the end of each topic it reads.

Measured from the broker (end offsets minus the group's committed offsets) rather than inside
the consumer, so a wedged or crashed consumer shows up as growing lag instead of going quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from services.common import metrics
from services.common.logs import broker_reachable, broker_unreachable, get_logger

log = get_logger(__name__)


def lag_per_topic(
    partitions: Sequence[TopicPartition],
    end: dict[TopicPartition, int],
    beginning: dict[TopicPartition, int],
    committed: dict[TopicPartition, int],
) -> dict[str, int]:
    """Sum, per topic, the records between each partition's committed offset and its end.

    A partition the group never committed on is read from its beginning (the consumers use
    `auto_offset_reset="earliest"`), so all of its retained records count as lag.
    """
    lag: dict[str, int] = {}
    for tp in partitions:
        start = committed.get(tp, -1)
        if start < 0:
            start = beginning.get(tp, 0)
        behind = max(0, end.get(tp, 0) - start)
        lag[tp.topic] = lag.get(tp.topic, 0) + behind
    return lag


@dataclass(eq=False)
class LagMonitor:
    """Measure a consumer group's lag on its topics every few seconds and export it."""

    bootstrap_servers: str
    group: str
    topics: Sequence[str]
    _: KW_ONLY
    interval_s: float = 5.0
    request_timeout_ms: int = 10_000
    _admin: AIOKafkaAdminClient | None = field(default=None, init=False)
    _consumer: AIOKafkaConsumer | None = field(default=None, init=False)

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                request_timeout_ms=self.request_timeout_ms,
            )
            # No group_id: this consumer only asks for offsets and never joins the group.
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                request_timeout_ms=self.request_timeout_ms,
                enable_auto_commit=False,
            )
            await admin.start()
            try:
                await consumer.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def measure(self) -> dict[str, int]:
        """Return the group's lag per topic, in records."""
        admin, consumer = await self._clients()
        described = await admin.describe_topics(self.topics)
        partitions = [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if t["topic"] in self.topics
            for p in t["partitions"]
        ]
        if not partitions:
            return dict.fromkeys(self.topics, 0)
        end = await consumer.end_offsets(partitions)
        beginning = await consumer.beginning_offsets(partitions)
        offsets = await admin.list_consumer_group_offsets(self.group, partitions=partitions)
        committed = {tp: meta.offset for tp, meta in offsets.items()}
        return {
            **dict.fromkeys(self.topics, 0),
            **lag_per_topic(partitions, end, beginning, committed),
        }

    async def close(self) -> None:
        """Close the clients (a later `measure` opens new ones)."""
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def run(self) -> None:
        """Measure and export until cancelled; a failed measurement is logged and retried."""
        metrics.prime_topics(self.topics)
        try:
            while True:
                try:
                    lag = await self.measure()
                except (TimeoutError, KafkaError, OSError) as err:
                    metrics.LAG_SCRAPE_ERRORS.inc()
                    # Counted; said as part of the broker outage rather than every interval.
                    broker_unreachable(f"consumer lag of {self.group}: {err!r}")
                    # Fresh clients next time: after a broker restart the old ones stay wedged.
                    await self._close_quietly()
                else:
                    broker_reachable()
                    for topic, value in lag.items():
                        metrics.CONSUMER_LAG.labels(topic).set(value)
                await asyncio.sleep(self.interval_s)
        finally:
            await self._close_quietly()

    async def _close_quietly(self) -> None:
        try:
            await self.close()
        except (KafkaError, OSError) as err:
            log.debug("consumer_lag_close_failed", error=repr(err))
