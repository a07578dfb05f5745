"""An answer acknowledged to the member survives a SIGKILL of the response service before its
publish: after the restart it is on `answers.v1` exactly once, and on the board.

The real service runs as a process on the embedded broker, reached through a TCP gate. The
roll-call opens from a published activation and everything the service had to publish is out;
then the gate closes (the broker is unreachable), the member's POST is answered 200, the relay
tries to publish the answer and fails (its log says so), the service's own database shows the
answer kept and its message unpublished, and the process is killed. No timing decides where the
kill lands: nothing can be published while the gate is closed. The gate opens, the service
restarts on the same database, and its relay publishes what the killed process could not.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.base import utcnow
from schemas.topics import ALL_TOPICS, ANSWERS
from services.common.console_identity import OFFICER_HEADER, OfficerIdentity, sign_identity
from services.common.kafka_admin import ensure_topics, wait_for_broker
from services.common.keys import key_ring
from services.common.settings import Settings
from services.domain.answer_links import answer_link_signer
from tests.conftest import EmbeddedBroker, free_port
from tests.integration.duty.process import publish
from tests.integration.response.rig import EXAMPLE, activation
from tests.integration.service_process import ServiceProcess
from tests.tcp_gate import TcpGate
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

SIGNING_KEY = "integration-test-signing-key-0123456789"


@pytest.fixture
def gated_broker() -> Iterator[tuple[EmbeddedBroker, TcpGate]]:
    """A broker that every client reaches through a gate (it advertises the gate's address)."""
    gate = TcpGate(upstream_port=free_port())
    broker = EmbeddedBroker(port=gate.upstream_port, advertised_port=gate.port)

    async def prepare() -> None:
        await wait_for_broker(broker.bootstrap, timeout_s=30)
        await ensure_topics(broker.bootstrap, ALL_TOPICS)

    try:
        asyncio.run(prepare())
        yield broker, gate
    finally:
        broker.stop()
        gate.shutdown()


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def on_the_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every message on the topic, from its first offset to its end."""

    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=20)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found: list[dict[str, Any]] = []
            while any([await consumer.position(p) < ends[p] for p in partitions]):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [json.loads(r.value) for r in records]
            return found
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_an_answer_posted_before_the_kill_is_published_once_after_the_restart(
    tmp_path: Path, gated_broker: tuple[EmbeddedBroker, TcpGate]
) -> None:
    broker, gate = gated_broker
    settings = Settings.model_validate({"duty": {"signing_key": SIGNING_KEY}})
    web = f"http://127.0.0.1:{free_port()}"
    service = ServiceProcess(
        "response",
        tmp_path / "var",
        broker.bootstrap,
        {
            "STANDBY_MEMBERS_FILE": str(EXAMPLE),
            "STANDBY_DUTY__SIGNING_KEY": SIGNING_KEY,
            "STANDBY_RESPONSE__WEB_PORT": web.rsplit(":", 1)[1],
            # A publish to the unreachable broker fails after this, instead of 30 s.
            "STANDBY_KAFKA__REQUEST_TIMEOUT_MS": "6000",
        },
    )
    db = service.var_dir / "response.db"
    quake = activation()
    signer = answer_link_signer(
        key_ring(settings, "answer"), settings.response.answer_link_ttl_hours
    )
    link = signer.url(web, quake.incident_id, "hope-bridge", "tanaka", utcnow())

    def opened() -> bool:
        # The form is shown (and an answer held) even before the roll-call opens: the test
        # wants the answer on an open roll-call, so it waits for the roll-call itself.
        try:
            return bool(query(db, "SELECT incident_id FROM rc_rollcalls"))
        except sqlite3.Error:
            return False

    service.start()
    try:
        publish(broker.bootstrap, quake)
        wait_for(opened, timeout=90, what="the roll-call to open", every=0.5)
        wait_for(
            lambda: not query(db, "SELECT id FROM outbox WHERE published_at IS NULL"),
            timeout=60,
            what="the roll-call's opening to be published",
        )

        gate.close()
        posted = httpx.post(link, data={"answer": "can_deploy", "staff": "8"}, timeout=10)
        assert posted.status_code == 200 and "派遣可能" in posted.text
        wait_for(
            lambda: '"outbox_relay_failed"' in service.log_path.read_text(),
            timeout=90,
            what="the relay's failed attempt to publish the answer",
            every=0.5,
        )
        [(answer_id,)] = query(db, "SELECT answer_id FROM rc_answers")
        held = query(
            db,
            "SELECT published_at FROM outbox WHERE message_id = ? AND topic = ?",
            answer_id,
            ANSWERS,
        )
        assert held == [(None,)], "the answer must be kept and not yet published at the kill"
        service.kill9()

        gate.open()
        service.start()
        wait_for(
            lambda: (
                query(db, "SELECT published_at FROM outbox WHERE message_id = ?", answer_id)
                != [(None,)]
            ),
            timeout=90,
            what="the restarted service to publish the answer",
            every=0.5,
        )
        answers = [m for m in on_the_topic(broker.bootstrap, ANSWERS) if m["id"] == answer_id]
        assert [(a["organisation_id"], a["answer"], a["staff"]) for a in answers] == [
            ("hope-bridge", "can_deploy", 8)
        ]
        officer = sign_identity(
            key_ring(settings, "officer_identity"), OfficerIdentity("sato", "en", "c")
        )
        board = httpx.get(
            f"{web}/rollcall/{quake.incident_id}/export.json",
            headers={OFFICER_HEADER: officer},
            timeout=10,
        ).json()
        row = next(o for o in board["organisations"] if o["organisation_id"] == "hope-bridge")
        assert (row["answer"], row["staff"], row["answers"]) == ("can_deploy", 8, 1)
    except AssertionError:
        print(service.log())
        raise
    finally:
        service.stop()
