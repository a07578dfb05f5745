"""Through the real embedded broker, where a consumer's offsets go: one that takes its
partitions without a group join (`kafka.assign_partitions`, as `standby run` starts its
services) hands its successor the offsets it committed (decision 0734), and the messages it
skipped as handled before are committed too, off its read path (decision 0735)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

from faststream.kafka import KafkaBroker

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


async def _process(
    kafka: KafkaSettings, group: str, marker: str, handled_before: Sequence[HazardEvent] = ()
) -> tuple[KafkaBroker, list[str]]:
    """One process of a role, consuming the hazards topic: its broker (started) and the ids of
    the events of this test it handles; `handled_before` it handled before (a replay)."""
    seen: list[str] = []
    broker = make_broker(kafka, "offsets-test")
    routes = Routes(kafka, group)
    for ev in handled_before:
        routes.handled.add(ev.id, time.monotonic())

    async def handle(ev: HazardEvent) -> None:
        if ev.source_id.startswith(f"EQ:{marker}"):
            seen.append(ev.source_id)

    routes.add(HAZARDS, HazardEvent, handle)
    routes.attach(broker)
    await start_consumers(broker)
    return broker, seen


async def test_a_restarted_consumer_reads_on_from_its_predecessors_commits(
    embedded_broker: EmbeddedBroker,
) -> None:
    kafka = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap, assign_partitions=True)
    group = f"assigned-{uuid4().hex[:6]}"
    marker = uuid4().hex
    first = event(f"{marker}-1", at=datetime.now(UTC))
    second = event(f"{marker}-2", at=datetime.now(UTC))
    publisher = make_broker(kafka, "offsets-test-publisher")
    await publisher.connect()
    handled: list[list[str]] = []
    try:
        await publisher.publish(first.model_dump_json().encode(), HAZARDS)
        for then in (second, None):
            broker, seen = await _process(kafka, group, marker)
            handled.append(seen)
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


async def test_a_skipped_replay_is_committed_so_a_successor_does_not_read_it_again(
    embedded_broker: EmbeddedBroker,
) -> None:
    """A replayed message the process handled before is skipped without awaiting a commit
    (decision 0735), yet committed: the next process starts after it."""
    kafka = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap, assign_partitions=True)
    group = f"skipped-{uuid4().hex[:6]}"
    marker = uuid4().hex
    replayed = [event(f"{marker}-{n}", at=datetime.now(UTC)) for n in range(3)]
    later = event(f"{marker}-later", at=datetime.now(UTC))
    publisher = make_broker(kafka, "offsets-test-publisher")
    await publisher.connect()
    try:
        for ev in replayed:
            await publisher.publish(ev.model_dump_json().encode(), HAZARDS)
        # This process handled them before the broker was replaced: it only skips them, and
        # their commit is in the background; it is given the time a broker round trip takes.
        broker, skipping = await _process(kafka, group, marker, handled_before=replayed)
        try:
            await asyncio.sleep(2)
        finally:
            await broker.stop()
        await publisher.publish(later.model_dump_json().encode(), HAZARDS)
        # Its successor knows none of them, so it would handle them again if it read them.
        broker, successor = await _process(kafka, group, marker)
        try:
            await _until(lambda: bool(successor))
        finally:
            await broker.stop()
    finally:
        await publisher.stop()
    assert (skipping, successor) == ([], [later.source_id])
