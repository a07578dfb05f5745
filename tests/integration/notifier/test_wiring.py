"""`setup` wires the three topics; in FastStream's in-memory broker a bad message is set aside."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from faststream.kafka import TestKafkaBroker

from schemas.acks import AckState
from schemas.activations import Level
from schemas.dlq import DeadLetter
from schemas.pages import PageTarget
from schemas.topics import ACKS, ACTIVATIONS, COORDINATION, PAGES, dlq
from services.common.db import Database
from services.common.service import build_context
from services.notifier.main import setup
from tests.conftest import free_port
from tests.integration.notifier.harness import activation, directory_yaml, settings_for, until
from tests.integration.notifier.smtp_servers import smtp_server
from tests.messages import ack_of, page_of

SERVICE = "notifier"


async def test_activations_pages_and_acks_are_consumed_and_bad_ones_dead_lettered(
    tmp_path: Path, database: Database
) -> None:
    port = free_port()
    settings = settings_for(
        tmp_path, port, directory_yaml([("ok-m", "ja", "ok-m@members.example.jp")])
    )
    ctx = build_context("notifier", settings, db=database)
    await setup(ctx)
    assert sorted(ctx.routes.topics) == sorted([ACTIVATIONS, ACKS, COORDINATION])
    # Pages have a consumer of their own: never behind a fan-out in the main one.
    assert {name: r.topics for name, r in ctx.side_routes.items()} == {"notifier-pages": [PAGES]}
    ctx.routes.attach(ctx.broker)
    ctx.side_routes["notifier-pages"].attach(ctx.broker)
    letters: list[DeadLetter] = []

    @ctx.broker.subscriber(dlq(ACTIVATIONS))
    async def on_dead(letter: DeadLetter) -> None:
        letters.append(letter)

    alert = activation(Level.STANDBY)
    page = page_of(alert, PageTarget(officer_id="o", name="Officer"))
    stand_down = ack_of(alert, AckState.STOOD_DOWN)
    with smtp_server(port) as server:
        (job,) = ctx.background
        task = asyncio.create_task(job())
        try:
            async with TestKafkaBroker(ctx.broker) as br:
                await br.publish(b'{"level": "panic"}', ACTIVATIONS)
                await br.publish(alert.model_dump_json().encode(), ACTIVATIONS)
                await br.publish(page.model_dump_json().encode(), PAGES)
                await until(lambda: server.accepted["ok-m@members.example.jp"] == 1, what="alert")
                await br.publish(stand_down.model_dump_json().encode(), ACKS)
                await until(lambda: server.accepted["ok-m@members.example.jp"] == 2, what="notice")
                await until(lambda: server.accepted["ok-o@duty.example.org"] == 1, what="page")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert [letter.error_type for letter in letters] == ["ValidationError"]
