"""Consumer lag measured against the real embedded broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common import metrics
from services.common.lag import LagMonitor


async def make_topic(bootstrap: str) -> str:
    topic = f"lag-test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    return topic


async def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, f"m{n}".encode())
    finally:
        await producer.stop()


async def consume_and_commit(bootstrap: str, topic: str, group: str, count: int) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=30_000,
    )
    consumer.subscribe([topic])
    await consumer.start()
    try:
        seen = 0
        deadline = time.monotonic() + 30
        while seen < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=count - seen)
            seen += sum(len(records) for records in batch.values())
        assert seen == count
        await consumer.commit({TopicPartition(topic, 0): count})
    finally:
        await consumer.stop()


async def run_until(monitor: LagMonitor, reached: Callable[[], bool], failure: str) -> None:
    """Run the monitor's job until `reached()`; fail if the job stops or 20 s pass first."""
    job = asyncio.create_task(monitor.run())
    try:
        deadline = time.monotonic() + 20
        while not reached():
            assert time.monotonic() < deadline, failure
            assert not job.done(), job
            await asyncio.sleep(0.05)
    finally:
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)


async def test_lag_is_end_offset_minus_the_groups_committed_offset(embedded_broker) -> None:
    topic = await make_topic(embedded_broker.bootstrap)
    group = f"lag-group-{uuid.uuid4().hex[:8]}"
    await produce(embedded_broker.bootstrap, topic, 7)
    monitor = LagMonitor(embedded_broker.bootstrap, group, [topic])
    try:
        assert await monitor.measure() == {topic: 7}, "a group that never committed owes it all"
        await consume_and_commit(embedded_broker.bootstrap, topic, group, 5)
        assert await monitor.measure() == {topic: 2}
    finally:
        await monitor.close()


async def test_the_lag_job_exports_the_gauge_per_topic(embedded_broker) -> None:
    topic = await make_topic(embedded_broker.bootstrap)
    await produce(embedded_broker.bootstrap, topic, 3)
    monitor = LagMonitor(embedded_broker.bootstrap, "lag-job", [topic], interval_s=0.2)
    await run_until(
        monitor,
        lambda: metrics.CONSUMER_LAG.labels(topic)._value.get() == 3,
        "the lag gauge never reached 3",
    )


async def test_an_unreachable_broker_is_counted_and_the_job_keeps_running() -> None:
    monitor = LagMonitor(
        "127.0.0.1:1", "lag-down", ["nowhere"], interval_s=0.05, request_timeout_ms=1000
    )
    before = metrics.LAG_SCRAPE_ERRORS._value.get()
    await run_until(
        monitor,
        lambda: metrics.LAG_SCRAPE_ERRORS._value.get() >= before + 2,
        "failed measurements were not counted",
    )
