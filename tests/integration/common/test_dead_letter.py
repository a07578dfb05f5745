"""Through the real embedded broker: a bad message is dead-lettered and the consumer keeps going."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from uuid import uuid4

from schemas import DeadLetter, HazardEvent
from schemas.topics import HAZARDS, dlq
from services.common.broker import Routes, make_broker
from services.common.settings import KafkaSettings
from tests.conftest import EmbeddedBroker
from tests.messages import event, tail


async def test_an_invalid_message_lands_in_the_dlq_and_the_next_valid_one_is_handled(
    embedded_broker: EmbeddedBroker,
) -> None:
    kafka = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap)
    broker = make_broker(kafka, "dlq-test")
    routes = Routes(kafka, f"dlq-test-{uuid4().hex[:6]}")
    handled: list[HazardEvent] = []

    async def handle(event: HazardEvent) -> None:
        handled.append(event)

    routes.add(HAZARDS, HazardEvent, handle)
    routes.attach(broker)
    letters = await tail(embedded_broker.bootstrap, dlq(HAZARDS))
    await broker.start()
    marker = uuid4().hex
    try:
        await broker.publish(b'{"unexpected": "' + marker.encode() + b'"}', HAZARDS)
        good = event(marker, title="after the bad one", at=datetime.now(UTC))
        await broker.publish(good.model_dump_json().encode(), HAZARDS)
        dead: list[DeadLetter] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            dead and any(e.source_id == good.source_id for e in handled)
        ):
            for records in (await letters.getmany(timeout_ms=100)).values():
                dead.extend(DeadLetter.model_validate_json(r.value) for r in records)
            await asyncio.sleep(0)
        ours = [d for d in dead if marker in d.payload]
        assert len(ours) == 1
        assert ours[0].error_type == "ValidationError"
        assert ours[0].original_topic == HAZARDS
        assert ours[0].offset is not None
        assert [e.source_id for e in handled if e.source_id == good.source_id] == [good.source_id]
    finally:
        await broker.stop()
        await letters.stop()
