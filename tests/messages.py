"""For tests of the plumbing: the smallest valid messages, and a topic read from now on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import HazardEvent
from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Activation
from schemas.pages import Page, PageTarget


def event(n: int | str, *, title: str | None = None, at: datetime | None = None) -> HazardEvent:
    """GDACS earthquake `n`, version 1: titled `quake n` unless `title` says otherwise."""
    return HazardEvent(
        source="gdacs",
        source_id=f"EQ:{n}",
        version="1",
        hazard_type="EQ",
        title=title or f"quake {n}",
        event_time=at or datetime(2026, 11, 23, tzinfo=UTC),
    )


def ack_of(
    activation: Activation, state: AckState, *, via: AckVia = AckVia.CONSOLE, **fields: Any
) -> AckEvent:
    """The officers' `state` for `activation` at its own level, said `via` a channel.

    It carries the activation's summary, as every acknowledgement duty publishes does.
    """
    return AckEvent(
        activation_id=activation.activation_id,
        incident_id=activation.incident_id,
        level=activation.level,
        state=state,
        via=via,
        **{"summary": activation.summary, **fields},
    )


def page_of(activation: Activation, target: PageTarget, *, step: int = 0, **fields: Any) -> Page:
    """A page to `target` about `activation` at its own level, carrying its summary."""
    return Page(
        page_id=uuid4(),
        activation_id=activation.activation_id,
        incident_id=activation.incident_id,
        level=activation.level,
        step=step,
        target=target,
        summary=activation.summary,
        **fields,
    )


async def tail(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A started consumer of `topic` at its end: it reads what is published from now on."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    partition = TopicPartition(topic, 0)  # standby's topics have one partition
    consumer.assign([partition])
    await consumer.seek_to_end(partition)
    await consumer.position(partition)  # the end is fixed now, before anything is published
    return consumer
