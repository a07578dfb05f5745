"""Follow what flows through the topics: the demo's summary and the end-to-end checks read it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from schemas import (
    ACKS,
    ACTIVATIONS,
    DELIVERIES,
    HAZARDS,
    PAGES,
    AckEvent,
    Activation,
    Delivery,
    HazardEvent,
    Page,
)
from schemas.base import Message

_MODELS: dict[str, type[Message]] = {
    HAZARDS: HazardEvent,
    ACTIVATIONS: Activation,
    PAGES: Page,
    DELIVERIES: Delivery,
    ACKS: AckEvent,
}


@dataclass
class Observed:
    """Every message seen, by topic, with the monotonic time it arrived."""

    hazards: list[HazardEvent] = field(default_factory=list)
    activations: list[Activation] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    acks: list[AckEvent] = field(default_factory=list)
    last_arrival: float = field(default_factory=time.monotonic)

    def add(self, message: Message) -> None:
        if isinstance(message, HazardEvent):
            self.hazards.append(message)
        elif isinstance(message, Activation):
            self.activations.append(message)
        elif isinstance(message, Page):
            self.pages.append(message)
        elif isinstance(message, Delivery):
            self.deliveries.append(message)
        elif isinstance(message, AckEvent):
            self.acks.append(message)
        self.last_arrival = time.monotonic()

    def final_deliveries(self) -> dict[str, Delivery]:
        """The latest state of each delivery key."""
        latest: dict[str, Delivery] = {}
        for d in self.deliveries:
            latest[d.delivery_key] = d
        return latest

    def delivery_counts(self) -> Counter[tuple[str, str]]:
        return Counter((d.kind.value, d.status.value) for d in self.final_deliveries().values())


async def follow(bootstrap: str, observed: Observed, stop: asyncio.Event) -> None:
    """Read every topic from the beginning into `observed` until `stop` is set."""
    consumer = AIOKafkaConsumer(
        *_MODELS,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            for tp, records in batches.items():
                model = _MODELS[tp.topic]
                for record in records:
                    with contextlib.suppress(ValidationError):
                        observed.add(model.model_validate_json(record.value or b""))
    finally:
        await consumer.stop()
