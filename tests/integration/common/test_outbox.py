"""Inbox and outbox against real databases (SQLite, PostgreSQL) and the real embedded broker."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from schemas import HAZARDS, HazardEvent
from services.common.db import Database
from services.common.outbox import OutboxRelay, claim, enqueue, outbox
from tests.conftest import EmbeddedBroker
from tests.messages import event, tail

SERVICE = "common"


async def test_a_message_id_is_claimed_once(database: Database) -> None:
    message_id = uuid4()
    async with database.transaction() as session:
        assert await claim(session, message_id, HAZARDS) is True
    async with database.transaction() as session:
        assert await claim(session, message_id, HAZARDS) is False


async def test_a_rolled_back_transaction_leaves_neither_claim_nor_outbox_row(
    database: Database,
) -> None:
    message_id = uuid4()
    try:
        async with database.transaction() as session:
            await claim(session, message_id, HAZARDS)
            await enqueue(session, event(1))
            raise RuntimeError("crash between decision and commit")
    except RuntimeError:
        pass
    async with database.transaction() as session:
        assert await claim(session, message_id, HAZARDS) is True
        rows = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
    assert rows == 0


class Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    async def __call__(self, payload: bytes, topic: str, key: bytes | None) -> None:
        self.messages.append((topic, payload))


async def test_the_relay_publishes_committed_rows_once_in_order(database: Database) -> None:
    sent = Sent()
    relay = OutboxRelay(database, sent)
    async with database.transaction() as session:
        await enqueue(session, event(1), event(2), event(3))
    assert await relay.relay_once() == 3
    assert await relay.relay_once() == 0
    titles = [HazardEvent.model_validate_json(p).title for _, p in sent.messages]
    assert titles == ["quake 1", "quake 2", "quake 3"]


async def test_a_new_broker_epoch_replays_recently_relayed_rows(database: Database) -> None:
    first = Sent()
    relay = OutboxRelay(database, first, epoch="a", replay_window=timedelta(hours=1))
    await relay.start()
    async with database.transaction() as session:
        await enqueue(session, event(7))
    relay.kick()
    deadline = time.monotonic() + 5
    while not first.messages and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await relay.stop()
    assert len(first.messages) == 1

    again = Sent()
    same_broker = OutboxRelay(database, again, epoch="a")
    await same_broker._recover_after_broker_restart()
    assert await same_broker.relay_once() == 0

    restarted = OutboxRelay(database, again, epoch="b", replay_window=timedelta(hours=1))
    await restarted._recover_after_broker_restart()
    assert await restarted.relay_once() == 1
    assert HazardEvent.model_validate_json(again.messages[0][1]).title == "quake 7"


async def test_the_relay_reaches_a_consumer_through_the_embedded_broker(
    database: Database, embedded_broker: EmbeddedBroker
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap, acks="all")
    await producer.start()
    topic = HAZARDS
    consumer = await tail(embedded_broker.bootstrap, topic)

    async def publish(payload: bytes, topic: str, key: bytes | None) -> None:
        await producer.send_and_wait(topic, payload, key=key)

    relay = OutboxRelay(database, publish)
    marker = f"relay-{uuid4().hex[:8]}"
    try:
        async with database.transaction() as session:
            await enqueue(session, event(9).model_copy(update={"title": marker}), key="gdacs:EQ:9")
        assert await relay.relay_once() == 1
        seen: list[str] = []
        deadline = time.monotonic() + 10
        while marker not in seen and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen.extend(HazardEvent.model_validate_json(r.value).title for r in records)
        assert marker in seen
    finally:
        await consumer.stop()
        await producer.stop()


async def test_two_relays_on_one_postgresql_outbox_publish_each_row_once_in_order(
    database: Database,
) -> None:
    if database.is_sqlite:
        return  # one process per SQLite database (decision 0701): nothing to share
    sent = Sent()

    async def slow(payload: bytes, topic: str, key: bytes | None) -> None:
        await asyncio.sleep(0.001)  # a publish takes time: the replicas' passes overlap
        await sent(payload, topic, key)

    # Two engines: two processes' connection pools on one schema.
    other = Database(database.url, database.service, schema=database.schema)
    relays = [OutboxRelay(database, slow, batch_size=7), OutboxRelay(other, slow, batch_size=7)]
    try:
        for n in range(0, 60, 6):
            async with database.transaction() as session:
                await enqueue(session, *(event(n + i) for i in range(6)))
            await asyncio.gather(*(r.relay_once() for r in relays))
        while sum(await asyncio.gather(*(r.relay_once() for r in relays))):
            pass
    finally:
        await other.dispose()
    titles = [HazardEvent.model_validate_json(p).title for _, p in sent.messages]
    assert titles == [f"quake {n}" for n in range(60)]
