"""The notifier as it runs: an Activation on the real embedded broker becomes mails and Deliveries."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.topics import ACTIVATIONS, DELIVERIES
from services.common.db import Database
from services.common.service import build_context, running
from services.notifier.main import setup
from tests.conftest import EmbeddedBroker, free_port
from tests.integration.notifier.harness import (
    activation,
    contact,
    directory_yaml,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import smtp_server

SERVICE = "notifier"

pytestmark = pytest.mark.broker

CONTACTS = [
    contact("ok-en", "en"),
    contact("ok-ja", "ja"),
    contact("reject-me", "en"),
]


async def test_an_activation_on_the_broker_becomes_one_mail_per_contact_and_delivery_messages(
    tmp_path: Path, database: Database, embedded_broker: EmbeddedBroker
) -> None:
    smtp_port = free_port()
    settings = settings_for(tmp_path, smtp_port, directory_yaml(CONTACTS))
    settings = settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(
                update={"bootstrap_servers": embedded_broker.bootstrap}
            )
        }
    )
    ctx = build_context("notifier", settings, db=database)
    await setup(ctx)
    stop = asyncio.Event()

    async def until_stopped() -> None:
        await stop.wait()

    # `running` returns once a background job ends, as `serve` does on SIGTERM.
    ctx.background.append(until_stopped)
    alert = activation()
    wanted = str(alert.activation_id)

    deliveries = AIOKafkaConsumer(bootstrap_servers=embedded_broker.bootstrap)
    await deliveries.start()
    partition = TopicPartition(DELIVERIES, 0)
    deliveries.assign([partition])
    await deliveries.seek_to_end(partition)
    seen: list[dict[str, Any]] = []

    async def collect() -> None:
        async for record in deliveries:
            body = json.loads(record.value)
            if body["activation_id"] == wanted:
                seen.append(body)

    collector = asyncio.create_task(collect())
    try:
        with smtp_server(smtp_port) as server:
            async with running(ctx):
                producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap)
                await producer.start()
                try:
                    await producer.send_and_wait(
                        ACTIVATIONS,
                        alert.model_dump_json().encode(),
                        key=str(alert.incident_id).encode(),
                    )
                finally:
                    await producer.stop()
                # The first join of a consumer group takes the embedded broker ~5 s.
                await until(
                    lambda: (
                        server.accepted["ok-en@members.example.org"] == 1
                        and server.accepted["ok-ja@members.example.jp"] == 1
                    ),
                    timeout=40,
                    what="both mails accepted",
                )
                await until(lambda: len(seen) == 3, timeout=15, what="three Delivery messages")
                stop.set()
        assert server.accepted["reject-me@members.example.org"] == 0
        by_contact = {d["contact_id"]: d for d in seen}
        assert by_contact["ok-en"]["status"] == "sent"
        assert by_contact["ok-ja"]["status"] == "sent"
        assert by_contact["reject-me"]["status"] == "failed"
        assert by_contact["ok-ja"]["message_id"].endswith("@standby.local>")
        assert by_contact["ok-en"]["kind"] == "member_alert"
        (ja_mail,) = server.messages_to("ok-ja@members.example.jp")
        assert ja_mail["Message-ID"] == by_contact["ok-ja"]["message_id"]
        assert "発動" in str(ja_mail["Subject"]) and "PHL" in str(ja_mail["Subject"])
    finally:
        collector.cancel()
        await deliveries.stop()
