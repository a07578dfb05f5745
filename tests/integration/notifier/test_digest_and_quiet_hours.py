"""Quiet hours and the daily digest, through the real broker and a real SMTP server, across restarts.

One notifier at a time on one database, its clock moved by the test: three contacts take the
same alerts at 23:30 in Tokyo — one at once, one with quiet hours until 09:00, one with standby
in a digest at 08:00 — and the notifier is restarted between the digest and the end of the
quiet hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from schemas.activations import Activation, Level
from schemas.topics import ACTIVATIONS
from services.common.db import Database
from services.common.service import build_context, running
from services.common.settings import Settings
from services.notifier.main import Notifier, setup
from services.notifier.models import DeliveryRow
from services.notifier.preference_store import save_preference
from services.notifier.preferences import Preference
from tests.conftest import EmbeddedBroker, free_port
from tests.integration.notifier.harness import (
    activation,
    directory_yaml,
    running_notifier,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import Behaviours, smtp_server

SERVICE = "notifier"
pytestmark = pytest.mark.broker

AT_ONCE, QUIET, DIGEST = (
    "ivy@members.example.org",
    "quinn@members.example.org",
    "dai@members.example.jp",
)
CONTACTS = [("ivy", "en", AT_ONCE), ("quinn", "en", QUIET), ("dai", "ja", DIGEST)]
PREFERENCES = {
    "quinn": Preference(
        time_zone="Asia/Tokyo", quiet_start=clock_time(22), quiet_end=clock_time(9)
    ),
    "dai": Preference(
        time_zone="Asia/Tokyo", digest_levels=frozenset({Level.STANDBY}), digest_at=clock_time(8)
    ),
}


class Clock:
    """The notifier's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


def titled(level: Level, title: str) -> Activation:
    alert = activation(level)
    return alert.model_copy(update={"summary": alert.summary.model_copy(update={"title": title})})


@contextlib.asynccontextmanager
async def notifier_on(
    settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[Notifier]:
    """Run a notifier process's work (consumers included) on the broker for the block."""
    ctx = build_context("notifier", settings, db=database)
    notifier = await setup(ctx, clock.now)
    stop = asyncio.Event()

    async def until_stopped() -> None:
        await stop.wait()

    ctx.background.append(until_stopped)
    async with running(ctx):
        yield notifier
        stop.set()


async def publish(bootstrap: str, *alerts: Activation) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(
                ACTIVATIONS, alert.model_dump_json().encode(), key=str(alert.incident_id).encode()
            )
    finally:
        await producer.stop()


def subjects(server: Behaviours, rcpt: str) -> list[str]:
    return [str(m["Subject"]) for m in server.messages_to(rcpt)]


async def stays(server: Behaviours, rcpt: str, count: int, seconds: float = 1.5) -> None:
    """Check that `rcpt` has `count` mails and still has after a few scheduler rounds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.accepted[rcpt] == count, subjects(server, rcpt)
        await asyncio.sleep(0.05)


async def held_rows(database: Database) -> list[DeliveryRow]:
    async with database.sessions() as session:
        rows = await session.execute(select(DeliveryRow).where(DeliveryRow.held_until.is_not(None)))
        return list(rows.scalars())


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_quiet_hours_hold_standby_not_activate_and_a_digest_goes_once_a_day_across_restarts(
    tmp_path: Path, database: Database, embedded_broker: EmbeddedBroker
) -> None:
    smtp_port = free_port()
    settings = settings_for(
        tmp_path,
        smtp_port,
        directory_yaml(CONTACTS),
        public_url="http://p.test",
        digest_interval_s=0.1,
    )
    settings = settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(
                update={"bootstrap_servers": embedded_broker.bootstrap}
            )
        }
    )
    async with database.transaction() as session:
        for contact, pref in PREFERENCES.items():
            await save_preference(session, f"org-{contact}", contact, pref, datetime.now(UTC))
    # 23:30 on 7 December in Tokyo.
    clock = Clock(datetime(2026, 12, 7, 14, 30, tzinfo=UTC))
    quake_a = titled(Level.STANDBY, "Quake A")
    cyclone_b = titled(Level.STANDBY, "Cyclone B")
    quake_c = titled(Level.ACTIVATE, "Quake C")
    flood_d = titled(Level.STANDBY, "Flood D")

    with smtp_server(smtp_port) as server:
        async with notifier_on(settings, database, clock):
            await publish(embedded_broker.bootstrap, quake_a, cyclone_b, quake_c)
            # The first join of a consumer group takes the embedded broker ~5 s.
            await until(lambda: server.accepted[AT_ONCE] == 3, timeout=40, what="three at once")
            await until(
                lambda: server.accepted[QUIET] == 1 and server.accepted[DIGEST] == 1,
                what="the activate alert to the quiet and the digest contacts",
            )
            # Activate is never held, nor put in a digest.
            assert "ACTIVATE" in subjects(server, QUIET)[0]
            assert "発動" in subjects(server, DIGEST)[0]
            held = await held_rows(database)
            assert {r.contact_id for r in held} == {"quinn"} and len(held) == 2
            # 09:00 on 8 December in Tokyo.
            assert {r.held_until.replace(tzinfo=UTC) for r in held if r.held_until} == {
                datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
            }
            await stays(server, DIGEST, 1, seconds=0.5)  # the digest's hour is 08:00
            clock.at = datetime(2026, 12, 7, 23, 5, tzinfo=UTC)  # 08:05 in Tokyo
            await until(lambda: server.accepted[DIGEST] == 2, what="the first digest")
            await stays(server, QUIET, 1)

        digest = server.messages_to(DIGEST)[1]
        assert str(digest["Subject"]) == "[standby] 日次まとめ | 2026-12-08 | 2件"
        assert digest["In-Reply-To"] is None  # threaded apart from the incidents
        text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Quake A" in text and "Cyclone B" in text and "Quake C" not in text
        assert text.count("/respond/") >= 6 and "lang=ja" in text  # answer links, per incident

        # Restarted: the held mails are orphans of the old process, still held; the day's
        # digest went, so flood D waits for tomorrow's. (This process is handed flood D by
        # hand: a second consumer-group join on the embedded broker waits out the first
        # member's session, ~20 s.)
        clock.at = datetime(2026, 12, 7, 23, 10, tzinfo=UTC)  # 08:10 in Tokyo
        async with running_notifier(settings, database, clock.now) as notifier:
            await notifier.handlers.on_activation(flood_d)
            await until(lambda: server.accepted[AT_ONCE] == 4, what="flood D at once")
            await stays(server, QUIET, 1)
            await stays(server, DIGEST, 2, seconds=0.5)
            clock.at = datetime(2026, 12, 8, 0, 1, tzinfo=UTC)  # 09:01 in Tokyo
            await until(lambda: server.accepted[QUIET] == 4, what="the held standby alerts")
            assert sorted(subjects(server, QUIET)[1:]) == sorted(
                s for s in subjects(server, AT_ONCE) if "STANDBY" in s
            )
            clock.at = datetime(2026, 12, 8, 23, 1, tzinfo=UTC)  # 08:01 on the 9th
            await until(lambda: server.accepted[DIGEST] == 3, what="the second digest")
            await stays(server, DIGEST, 3, seconds=0.5)

    second = server.messages_to(DIGEST)[2]
    assert str(second["Subject"]) == "[standby] 日次まとめ | 2026-12-09 | 1件"
    second_text = second.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Flood D" in second_text and "Quake A" not in second_text
