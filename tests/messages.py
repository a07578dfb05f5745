"""For tests of the plumbing: the smallest valid messages, and a topic read from now on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import HazardEvent
from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.hazards import AlertLevel, HazardType
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


def activation_of(
    summary: IncidentSummary,
    level: Level = Level.ACTIVATE,
    *,
    score: float,
    reasons: list[Reason],
    incident_id: UUID | None = None,
    **fields: Any,
) -> Activation:
    """An activation at `level` about `summary`, as triage publishes it (new ids unless given)."""
    return Activation(
        **{"activation_id": uuid4(), **fields},
        incident_id=incident_id or uuid4(),
        level=level,
        score=score,
        reasons=reasons,
        summary=summary,
    )


def quake_summary(title: str, country: str, struck: datetime, **fields: Any) -> IncidentSummary:
    """A red earthquake titled `title` that struck `country` then."""
    return IncidentSummary(
        title=title,
        hazard_type=HazardType.EARTHQUAKE,
        countries=[country],
        event_time=struck,
        alert_level=AlertLevel.RED,
        **fields,
    )


def red_quake_activation(
    struck: datetime,
    level: Level = Level.ACTIVATE,
    *,
    incident_id: UUID | None = None,
    title: str = "Red earthquake alert (M 7.6) in the Philippines",
    **summary: Any,
) -> Activation:
    """An activation at `level` for a red M 7.6 quake in the Philippines that struck then."""
    return activation_of(
        quake_summary(title, "PHL", struck, lat=12.9, lon=124.1, **summary),
        level,
        incident_id=incident_id,
        score=90,
        reasons=[Reason(rule="red", sentence="GDACS alert level Red", level=level)],
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
