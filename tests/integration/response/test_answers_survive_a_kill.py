"""No answer is lost when the response service dies between the answer's POST and its publish.

The POST commits the answer and its `answers.v1` message together (outbox); the process is then
"killed" at a random point of relaying (before it, or after some of the batch went out), and a
new relay on the same database — the restarted service — publishes to the real embedded broker.
Every posted answer must be on the broker afterwards (duplicates are allowed: consumers dedupe).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.responses import AnswerKind
from schemas.topics import ANSWERS
from services.common.db import Database
from services.common.outbox import OutboxRelay
from services.response import store
from tests.conftest import EmbeddedBroker
from tests.integration.response.rig import Rig

pytestmark = pytest.mark.broker

NGOS = ["hope-bridge", "asia-medical", "tohoku-relief"]
CONTACTS = {"hope-bridge": "tanaka", "asia-medical": "sato", "tohoku-relief": "abe"}
KINDS = [AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE, AnswerKind.NOT_THIS_TIME]


class Killed(BaseException):
    """The process died (SIGKILL): nothing after this point of the relay happens."""


async def _scenario(
    bootstrap: str, answers: list[tuple[str, AnswerKind]], crash_after: int
) -> tuple[list[str], set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'response.db'}", "response")
        await db.migrate()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=20)
        await consumer.start()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            partitions = [
                TopicPartition(ANSWERS, p) for p in consumer.partitions_for_topic(ANSWERS) or {0}
            ]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            rig = Rig(db)
            act = await rig.open(NGOS)
            async with rig.client() as client:
                for org, kind in answers:
                    posted = await client.post(
                        rig.link(act, org, CONTACTS[org]), data={"answer": kind.value}
                    )
                    assert posted.status_code == 200, posted.text
            async with db.transaction() as session:
                kept = [a.answer_id for a in await store.answers(session, str(act.incident_id))]

            sent = 0

            async def dying(payload: bytes, topic: str, key: bytes | None) -> None:
                nonlocal sent
                if sent >= crash_after:
                    raise Killed
                sent += 1
                await producer.send_and_wait(topic, payload, key=key)

            with contextlib.suppress(Killed):
                await OutboxRelay(db, dying, batch_size=5).relay_once()

            async def live(payload: bytes, topic: str, key: bytes | None) -> None:
                await producer.send_and_wait(topic, payload, key=key)

            restarted = OutboxRelay(db, live)
            while await restarted.relay_once():
                pass
            received: set[str] = set()
            deadline = time.monotonic() + 15
            while not set(kept) <= received and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        received.add(json.loads(record.value)["id"])
            return kept, received
        finally:
            await consumer.stop()
            await producer.stop()
            await db.dispose()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    answers=st.lists(
        st.tuples(st.sampled_from(NGOS), st.sampled_from(KINDS)), min_size=1, max_size=10
    ),
    crash_after=st.integers(min_value=0, max_value=10),
)
def test_every_posted_answer_reaches_the_broker_whatever_the_moment_of_the_kill(
    embedded_broker: EmbeddedBroker, answers: list[tuple[str, AnswerKind]], crash_after: int
) -> None:
    kept, received = asyncio.run(_scenario(embedded_broker.bootstrap, answers, crash_after))
    assert len(kept) == len(answers)  # every POST kept its answer, all of them
    assert set(kept) <= received
