"""The consumer wrapper, in memory: validate, retry, dead-letter, keep going."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, TestKafkaBroker

from schemas import HAZARDS, DeadLetter, HazardEvent, dlq
from services.common.broker import Routes
from services.common.settings import KafkaSettings
from tests.messages import event


def wired(
    handled: list[HazardEvent], *, fail_times: int = 0
) -> tuple[KafkaBroker, list[DeadLetter]]:
    broker = KafkaBroker()
    routes = Routes(KafkaSettings(handler_attempts=3), "unit")
    failures = {"left": fail_times}

    async def handle(ev: HazardEvent) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database is down")
        handled.append(ev)

    routes.add(HAZARDS, HazardEvent, handle)
    routes.attach(broker)
    letters: list[DeadLetter] = []

    @broker.subscriber(dlq(HAZARDS))
    async def on_dead(letter: DeadLetter) -> None:
        letters.append(letter)

    return broker, letters


async def delivered(
    *payloads: bytes, fail_times: int = 0
) -> tuple[list[HazardEvent], list[DeadLetter]]:
    """Publish the payloads in order on the hazards topic; return what was handled and set aside."""
    handled: list[HazardEvent] = []
    broker, letters = wired(handled, fail_times=fail_times)
    async with TestKafkaBroker(broker) as br:
        for payload in payloads:
            await br.publish(payload, HAZARDS)
    return handled, letters


async def test_a_valid_message_reaches_its_handler() -> None:
    handled, letters = await delivered(event(1).model_dump_json().encode())
    assert [e.source_id for e in handled] == ["EQ:1"]
    assert letters == []


async def test_an_invalid_message_goes_to_the_dlq_and_the_next_one_is_handled() -> None:
    handled, letters = await delivered(
        b'{"source": "martians"}', b"not json at all", event(2).model_dump_json().encode()
    )
    assert [e.source_id for e in handled] == ["EQ:2"]
    assert [letter.error_type for letter in letters] == ["ValidationError", "ValidationError"]
    assert letters[0].original_topic == HAZARDS
    assert letters[0].payload == '{"source": "martians"}'
    assert letters[0].consumer == "standby-unit"


async def test_a_transient_handler_failure_is_retried_and_succeeds() -> None:
    handled, letters = await delivered(event(3).model_dump_json().encode(), fail_times=2)
    assert [e.source_id for e in handled] == ["EQ:3"]
    assert letters == []


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_its_attempts() -> None:
    handled, letters = await delivered(event(4).model_dump_json().encode(), fail_times=10)
    assert handled == []
    assert len(letters) == 1
    assert letters[0].error_type == "RuntimeError"
    assert letters[0].attempts == 3
