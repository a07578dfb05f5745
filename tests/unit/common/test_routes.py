"""The consumer wrapper, in memory: validate, retry, dead-letter, keep going."""

from __future__ import annotations

from uuid import uuid4

from faststream.kafka import KafkaBroker, TestKafkaBroker

from schemas import HAZARDS, DeadLetter, HazardEvent, dlq
from services.common.broker import Handled, Routes
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


async def test_a_message_handled_once_is_skipped_when_a_replay_brings_it_again() -> None:
    # A replaced broker is given every service's recent outbox again (decision 0702).
    again = event(5).model_dump_json().encode()
    handled, letters = await delivered(again, event(6).model_dump_json().encode(), again)
    assert [e.source_id for e in handled] == ["EQ:5", "EQ:6"]
    assert letters == []


async def test_a_dead_lettered_message_is_tried_again_when_it_comes_again() -> None:
    # Three attempts fail, the replay's first attempt succeeds.
    again = event(7).model_dump_json().encode()
    handled, letters = await delivered(again, again, fail_times=3)
    assert [e.source_id for e in handled] == ["EQ:7"]
    assert len(letters) == 1


def test_what_was_handled_is_forgotten_after_the_replay_window_or_past_its_size() -> None:
    memory = Handled(keep_s=60, most=3)
    ids = [uuid4() for _ in range(5)]
    for i, message_id in enumerate(ids[:4]):
        memory.add(message_id, now=float(i))
    assert ids[0] not in memory and all(i in memory for i in ids[1:4])
    memory.add(ids[4], now=62.5)
    assert [i in memory for i in ids] == [False, False, False, True, True]
