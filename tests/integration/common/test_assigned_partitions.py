"""Through the real embedded broker: a consumer that takes its partitions without a group join
(`kafka.assign_partitions`, as `standby run` starts its services) handles what is published,
and its successor reads on from the offsets it committed (decision 0734)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from uuid import uuid4

from schemas import HazardEvent
from schemas.topics import HAZARDS
from services.common.broker import Routes, make_broker, start_consumers
from services.common.settings import KafkaSettings
from tests.conftest import EmbeddedBroker
from tests.messages import event


async def _until(check: object, timeout_s: float = 30) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not handled in time"
        await asyncio.sleep(0.01)


async def test_a_restarted_consumer_reads_on_from_its_predecessors_commits(
    embedded_broker: EmbeddedBroker,
) -> None:
    kafka = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap, assign_partitions=True)
    group = f"assigned-{uuid4().hex[:6]}"
    marker = uuid4().hex
    first = event(f"{marker}-1", at=datetime.now(UTC))
    second = event(f"{marker}-2", at=datetime.now(UTC))
    publisher = make_broker(kafka, "assigned-test-publisher")
    await publisher.connect()
    try:
        await publisher.publish(first.model_dump_json().encode(), HAZARDS)
        handled: list[list[str]] = []
        for then in (second, None):
            seen: list[str] = []
            handled.append(seen)
            broker = make_broker(kafka, "assigned-test")
            routes = Routes(kafka, group)

            async def handle(ev: HazardEvent, seen: list[str] = seen) -> None:
                if ev.source_id.startswith(f"EQ:{marker}"):
                    seen.append(ev.source_id)

            routes.add(HAZARDS, HazardEvent, handle)
            routes.attach(broker)
            await start_consumers(broker)
            try:
                await _until(lambda seen=seen: bool(seen))
            finally:
                # A graceful stop: the message in hand is committed first.
                await broker.stop()
            if then is not None:
                await publisher.publish(then.model_dump_json().encode(), HAZARDS)
    finally:
        await publisher.stop()
    assert handled == [[first.source_id], [second.source_id]]
