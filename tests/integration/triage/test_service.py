"""The triage service on the embedded broker: hazards in, one activation per level out, acks heeded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from schemas.acks import AckState
from schemas.activations import Activation, Level
from schemas.base import Message
from schemas.hazards import AlertLevel
from schemas.topics import ACKS, ACTIVATIONS, HAZARDS
from services.common.db import Database
from services.common.service import serving
from services.common.settings import KafkaSettings, Settings, TriageSettings
from services.triage.main import setup
from services.triage.models import ActivationRow, DecisionRow, IncidentRow
from tests.conftest import EmbeddedBroker
from tests.messages import ack_of, tail
from tests.unit.triage.builders import SHIPPED_CRITERIA, report

pytestmark = pytest.mark.broker

EVENT = "TC:7700001"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@asynccontextmanager
async def triage_service(settings: Settings) -> AsyncIterator[Settings]:
    """Run the triage service until the block ends."""
    async with serving("triage", settings, setup):
        yield settings


class Activations:
    """What triage publishes about our incident, read from the end of activations.v1 on."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: list[tuple[Activation, bytes | None]] = []

    async def start(self) -> None:
        self.consumer = await tail(self.bootstrap, ACTIVATIONS)

    async def drain(self, seconds: float = 0.1) -> list[tuple[Activation, bytes | None]]:
        for records in (await self.consumer.getmany(timeout_ms=int(seconds * 1000))).values():
            for record in records:
                activation = Activation.model_validate_json(record.value)
                if f"gdacs:{EVENT}" in activation.summary.sources:
                    self.seen.append((activation, record.key))
        return self.seen

    async def wait_for(
        self, count: int, timeout_s: float = 30
    ) -> list[tuple[Activation, bytes | None]]:
        async with asyncio.timeout(timeout_s):
            while len(await self.drain()) < count:
                pass
        return self.seen


async def send(producer: AIOKafkaProducer, topic: str, message: Message) -> None:
    await producer.send_and_wait(topic, message.model_dump_json().encode())


async def decisions(settings: Settings) -> int:
    db = Database(settings.database_url_for("triage"), "triage")
    try:
        async with db.sessions() as session:
            return int(
                (await session.execute(select(func.count()).select_from(DecisionRow))).scalar_one()
            )
    finally:
        await db.dispose()


async def ack_state(settings: Settings, incident_id: UUID) -> str | None:
    db = Database(settings.database_url_for("triage"), "triage")
    try:
        async with db.sessions() as session:
            row = await session.get(IncidentRow, str(incident_id))
            return row.ack_state if row else None
    finally:
        await db.dispose()


async def test_a_hazard_becomes_one_activation_and_a_launch_stops_further_alerts(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    members = tmp_path / "members.yaml"
    members.write_text("organisations: []\n", encoding="utf-8")
    settings = Settings(
        var_dir=tmp_path,
        members_file=members,
        kafka=KafkaSettings(bootstrap_servers=embedded_broker.bootstrap),
        triage=TriageSettings(metrics_port=0, criteria_file=SHIPPED_CRITERIA),
    )
    activations = Activations(embedded_broker.bootstrap)
    await activations.start()
    producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap)
    await producer.start()

    def cyclone(version: str, alert: AlertLevel) -> object:
        return report(
            EVENT, version=version, alert=alert, people=450_000, at=NOW, lat=13.1, lon=124.6
        )

    try:
        async with triage_service(settings):
            await send(producer, HAZARDS, cyclone("1", AlertLevel.ORANGE))  # type: ignore[arg-type]
            [(standby, key)] = await activations.wait_for(1)
            assert standby.level is Level.STANDBY and key == str(standby.incident_id).encode()
            assert "GDACS alert level Orange" in [r.sentence for r in standby.reasons]

            await send(
                producer,
                ACKS,
                ack_of(standby, AckState.LAUNCHED),
            )
            async with asyncio.timeout(20):
                while await ack_state(settings, standby.incident_id) != "launched":
                    await asyncio.sleep(0.05)
            # Launched: the platform already responds in full, so a red episode tells nobody again.
            await send(producer, HAZARDS, cyclone("2", AlertLevel.RED))  # type: ignore[arg-type]
            async with asyncio.timeout(20):
                while await decisions(settings) < 2:
                    await asyncio.sleep(0.05)
            assert len(await activations.drain(0.3)) == 1
        db = Database(settings.database_url_for("triage"), "triage")
        async with db.sessions() as session:
            stored = (await session.execute(select(ActivationRow.level))).scalars()
            assert list(stored) == ["standby"]
            levels = (
                await session.execute(select(DecisionRow.level).order_by(DecisionRow.id))
            ).scalars()
            assert list(levels) == ["standby", "activate"]
        await db.dispose()
    finally:
        await producer.stop()
        await activations.consumer.stop()
