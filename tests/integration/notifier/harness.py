"""Build a notifier on a real database, without the broker: handlers are called directly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.base import utcnow
from schemas.deliveries import DeliveryStatus
from schemas.hazards import HazardType
from services.common.db import Database
from services.common.outbox import outbox
from services.common.service import build_context
from services.common.settings import Settings
from services.notifier.cli import sample_summary
from services.notifier.main import Notifier, build
from services.notifier.models import DeliveryRow
from tests.conftest import free_port
from tests.integration.notifier.smtp_servers import Behaviours, smtp_server
from tests.messages import activation_of

EVENT_TIME = datetime(2026, 11, 23, 3, 14, tzinfo=UTC)


def summary(
    hazard: HazardType = HazardType.EARTHQUAKE,
    country: str = "PHL",
    event_time: datetime = EVENT_TIME,
) -> IncidentSummary:
    return sample_summary(
        event_time,
        hazard=hazard,
        country=country,
        report="https://www.gdacs.org/report.aspx?eventid=1&eventtype=EQ",
        sources=["gdacs:EQ:1"],
    )


# Why the red quake of `summary` activates, as triage says it.
REASONS = [
    Reason(rule="gdacs_red", sentence="GDACS alert level Red", level=Level.ACTIVATE),
    Reason(rule="population", sentence="2.1 M people within 100 km"),
]


def activation(
    level: Level = Level.ACTIVATE,
    *,
    incident_id: Any = None,
    previous: Level = Level.NONE,
    hazard: HazardType = HazardType.EARTHQUAKE,
) -> Activation:
    return activation_of(
        summary(hazard),
        level,
        incident_id=incident_id,
        previous_level=previous,
        score=87.5,
        reasons=REASONS,
    )


def contact(cid: str, language: str) -> tuple[str, str, str]:
    """A contact for `directory_yaml`, mailed at its id on the members' domain (.jp in Japanese)."""
    return cid, language, f"{cid}@members.example.{'jp' if language == 'ja' else 'org'}"


def directory_yaml(contacts: list[tuple[str, str, str]], *, min_level: str = "standby") -> str:
    """One organisation per (id, language, email) contact, all subscribed to everything."""
    lines = [
        "secretariat:",
        "  name_ja: テスト事務局",
        "  name_en: Test Secretariat",
        "  email: desk@example.jp",
        "organisations:" if contacts else "organisations: []",
    ]
    for cid, lang, email in contacts:
        lines += [
            f"  - id: org-{cid}",
            f"    name_ja: 団体{cid}",
            f"    name_en: Organisation {cid}",
            "    kind: ngo",
            f"    subscription: {{min_level: {min_level}}}",
            "    contacts:",
            f"      - {{id: {cid}, name: Person {cid}, language: {lang}, email: '{email}'}}",
        ]
    return "\n".join(lines) + "\n"


OFFICERS_YAML = """\
officers:
  - {id: aoki, name: 青木 葵, language: ja, email: ok-aoki@duty.example.org}
  - {id: o, name: Officer, language: en, email: ok-o@duty.example.org}
"""


def settings_for(tmp_path: Path, smtp_port: int, members: str, **notifier: Any) -> Settings:
    path = tmp_path / "members.yaml"
    path.write_text(members, encoding="utf-8")
    # Pages name the officer; the notifier reads the officer's channels from the rota file.
    rota = tmp_path / "rota.yaml"
    rota.write_text(OFFICERS_YAML, encoding="utf-8")
    smtp = {"host": "127.0.0.1", "port": smtp_port, "timeout_s": 0.5, "pool_size": 4}
    smtp.update(notifier.pop("smtp", {}))
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        members_file=path,
        var_dir=tmp_path,
        duty={"rota_file": rota},
        notifier={
            "smtp": smtp,
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.2,
            "max_attempts": 4,
            "preferences_port": 0,  # tests open the pages through the app, not a port
            **notifier,
        },
    )


@contextlib.asynccontextmanager
async def running_notifier(
    settings: Settings, database: Database, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[Notifier]:
    """Build the notifier on `database` and run its background work for the block."""
    ctx = build_context("notifier", settings, db=database)
    notifier = build(ctx, clock)
    task = asyncio.create_task(notifier.run())
    try:
        yield notifier
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def mailing_notifier(
    tmp_path: Path, database: Database, members: str, **notifier: Any
) -> AsyncIterator[tuple[Notifier, Behaviours]]:
    """Run the notifier for the block against a fresh misbehaving SMTP server on a free port."""
    port = free_port()
    settings = settings_for(tmp_path, port, members, **notifier)
    with smtp_server(port) as server:
        async with running_notifier(settings, database) as running:
            yield running, server


@contextlib.asynccontextmanager
async def told_then_joined(
    tmp_path: Path,
    database: Database,
    contacts: list[tuple[str, str, str]],
    told: int,
    alert: Activation,
) -> AsyncIterator[tuple[Notifier, Behaviours]]:
    """A mailing notifier that sent `alert` to the first `told` contacts before the rest joined."""
    async with mailing_notifier(tmp_path, database, directory_yaml(contacts[:told])) as running:
        notifier, _ = running
        await notifier.handlers.on_activation(alert)
        await until(lambda: all_sent(database, told), what=f"the alert to the {told} told")
        notifier.directory.path.write_text(directory_yaml(contacts), encoding="utf-8")
        yield running


async def rows(database: Database) -> dict[str, DeliveryRow]:
    async with database.sessions() as session:
        return {r.key: r for r in (await session.execute(select(DeliveryRow))).scalars()}


async def all_sent(database: Database, count: int) -> bool:
    """Whether exactly `count` deliveries are recorded and every one of them is sent."""
    found = await rows(database)
    return len(found) == count and all(
        r.status == DeliveryStatus.SENT.value for r in found.values()
    )


async def all_settled(database: Database, count: int) -> bool:
    """Whether exactly `count` deliveries are recorded and every one is sent or failed for good."""
    found = await rows(database)
    final = {DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value}
    return len(found) == count and all(r.status in final for r in found.values())


async def published(database: Database, topic: str) -> list[dict[str, Any]]:
    async with database.sessions() as session:
        payloads = (
            await session.execute(
                select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
            )
        ).scalars()
        return [json.loads(p) for p in payloads]


async def until(check: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll an async or sync check until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
