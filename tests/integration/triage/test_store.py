"""Triage's handlers on a real database (SQLite and PostgreSQL): one transaction per report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import func, select

from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Activation, Level
from schemas.hazards import AlertLevel, HazardEvent, HazardType
from schemas.topics import ACTIVATIONS
from services.common.db import Database
from services.common.outbox import outbox
from services.common.service import ServiceContext, build_context
from services.common.settings import Settings, TriageSettings
from services.triage.backtest import fact_context
from services.triage.facts import Presence
from services.triage.handlers import TriageHandlers, merge_policy
from services.triage.models import ActivationRow, DecisionRow, IncidentMemberRow, IncidentRow
from services.triage.store import count_open
from tests.messages import ack_of
from tests.unit.triage.builders import (
    SHIPPED_CRITERIA,
    directory,
    reliefweb_report,
    report,
    shipped,
)

SERVICE = "triage"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def handlers(database: Database, tmp_path: Path) -> TriageHandlers:
    settings = Settings(var_dir=tmp_path, triage=TriageSettings(criteria_file=SHIPPED_CRITERIA))
    ctx: ServiceContext = build_context("triage", settings, db=database)
    criteria = shipped()
    presence = Presence.from_directory(directory(**{"hope-bridge": ["PHL"]}))
    return TriageHandlers(ctx, criteria, fact_context(criteria, presence), merge_policy(72, 500))


def quake(version: str, alert: AlertLevel, **kwargs: object) -> HazardEvent:
    defaults: dict[str, object] = {"people": 2_114_000, "at": NOW, "glide": "EQ-2026-000777-PHL"}
    defaults.update(kwargs)
    return report("EQ:8800001", version=version, alert=alert, **defaults)  # type: ignore[arg-type]


async def count(db: Database, model: type) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def published(db: Database) -> list[tuple[Activation, str | None]]:
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload, outbox.c.key)
                .where(outbox.c.topic == ACTIVATIONS)
                .order_by(outbox.c.id)
            )
        ).all()
    return [(Activation.model_validate_json(payload), key) for payload, key in rows]


async def test_a_red_earthquake_stores_its_incident_decision_and_one_activation_in_the_outbox(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.RED))
    [(activation, key)] = await published(database)
    assert activation.level is Level.ACTIVATE
    assert key == str(activation.incident_id)
    assert (
        activation.summary.countries == ["PHL"]
        and activation.summary.population_exposed == 2_114_000
    )
    assert any(r.rule == "members-present" for r in activation.reasons)
    async with database.sessions() as session:
        row = (await session.execute(select(ActivationRow))).scalar_one()
        incident = await session.get(IncidentRow, str(activation.incident_id))
        decision = (await session.execute(select(DecisionRow))).scalar_one()
    assert row.activation_id == str(activation.activation_id) and row.level == "activate"
    assert (
        incident is not None
        and incident.alerted_level == "activate"
        and incident.countries == ["PHL"]
    )
    assert decision.outcome == "broadcast" and decision.reasons[0]["rule"] == "gdacs-red"
    assert await count(database, IncidentMemberRow) == 1


async def test_a_redelivered_report_changes_nothing(
    handlers: TriageHandlers, database: Database
) -> None:
    event = quake("1", AlertLevel.RED)
    await handlers.on_hazard(event)
    await handlers.on_hazard(event)
    assert await count(database, DecisionRow) == 1
    assert await count(database, ActivationRow) == 1


async def test_a_downgrade_is_recorded_and_the_level_is_never_told_twice(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.RED))
    await handlers.on_hazard(quake("2", AlertLevel.ORANGE))
    await handlers.on_hazard(quake("3", AlertLevel.RED))
    async with database.sessions() as session:
        outcomes = (
            (await session.execute(select(DecisionRow.outcome).order_by(DecisionRow.id)))
            .scalars()
            .all()
        )
    assert outcomes == ["broadcast", "downgrade", "recorded"]
    assert len(await published(database)) == 1


async def test_an_upgrade_is_published_with_the_level_members_heard_before(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.ORANGE, people=300_000))
    await handlers.on_hazard(quake("2", AlertLevel.RED))
    levels = [(a.previous_level, a.level) for a, _ in await published(database)]
    assert levels == [(Level.NONE, Level.STANDBY), (Level.STANDBY, Level.ACTIVATE)]
    assert await count(database, ActivationRow) == 2


async def test_a_reliefweb_report_joins_the_stored_incident_by_glide_and_by_month(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.ORANGE, people=300_000, glide=None))
    relief = reliefweb_report(
        "88001",
        HazardType.EARTHQUAKE,
        status="current",
        glide="EQ-2026-000777-PHL",
        at=NOW.replace(day=1, hour=0, minute=0, second=0),
        extras={"event_time_precision": "month", "reliefweb_status": "ongoing"},
    )
    await handlers.on_hazard(relief)
    assert await count(database, IncidentRow) == 1
    async with database.sessions() as session:
        members = (await session.execute(select(IncidentMemberRow.source_key))).scalars().all()
        last = (
            (await session.execute(select(DecisionRow).order_by(DecisionRow.id.desc())))
            .scalars()
            .first()
        )
    assert sorted(members) == ["gdacs:EQ:8800001", "reliefweb:88001"]
    assert last is not None and "corroborated" in [r["rule"] for r in last.reasons]
    # A later GDACS episode carrying the GLIDE finds the incident through either member.
    await handlers.on_hazard(quake("2", AlertLevel.ORANGE, people=300_000))
    assert await count(database, IncidentRow) == 1


async def test_a_stand_down_stops_realerts_at_that_level_but_not_upgrades(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.ORANGE, people=300_000))
    [(first, _)] = await published(database)
    await handlers.on_ack(ack_of(first, AckState.STOOD_DOWN, officer_id="sato"))
    async with database.sessions() as session:
        incident = await session.get(IncidentRow, str(first.incident_id))
    assert incident is not None and (incident.acked_level, incident.ack_state) == (
        "standby",
        "stood_down",
    )
    await handlers.on_hazard(quake("2", AlertLevel.GREEN, people=300_000))
    await handlers.on_hazard(quake("3", AlertLevel.ORANGE, people=300_000))
    assert len(await published(database)) == 1
    await handlers.on_hazard(quake("4", AlertLevel.RED))
    assert [a.level for a, _ in await published(database)] == [Level.STANDBY, Level.ACTIVATE]


async def test_an_ack_for_an_unknown_incident_is_logged_and_dropped(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_ack(
        AckEvent(
            activation_id=UUID(int=1),
            incident_id=UUID(int=2),
            level=Level.ACTIVATE,
            state=AckState.LAUNCHED,
            via=AckVia.LINK,
        )
    )
    assert await count(database, IncidentRow) == 0


async def test_open_incidents_are_those_at_watch_or_above_within_the_window(
    handlers: TriageHandlers, database: Database
) -> None:
    await handlers.on_hazard(quake("1", AlertLevel.RED))
    await handlers.on_hazard(
        report("FL:8800002", alert=AlertLevel.GREEN, countries=("BGD",), at=NOW)
    )
    await handlers.on_hazard(
        report("TC:8800003", alert=AlertLevel.RED, at=NOW - timedelta(days=30))
    )
    async with database.sessions() as session:
        assert await count_open(session, timedelta(hours=72)) == 1


async def test_usgs_then_gdacs_of_one_quake_is_one_stored_incident_even_without_a_shared_country(
    handlers: TriageHandlers, database: Database
) -> None:
    from schemas.hazards import Pager, PagerLevel, Source

    # USGS places the quake at sea (no country); GDACS names the nearest coast.
    usgs = report(
        "us7000abcd", source=Source.USGS, alert=None, countries=(), lat=10.2, lon=127.1,
        at=NOW, severity=(7.4, "M"), status="automatic", extras={"ids": ["us7000abcd"]},
    ).model_copy(update={"pager": Pager(alert=PagerLevel.ORANGE, reviewed=False)})  # fmt: skip
    gdacs = quake("1", AlertLevel.RED, at=NOW + timedelta(seconds=6), lat=10.25, lon=127.0)
    await handlers.on_hazard(usgs)
    await handlers.on_hazard(gdacs)
    activations = [a for a, _ in await published(database)]
    assert [a.level for a in activations] == [Level.STANDBY, Level.ACTIVATE]
    assert activations[0].incident_id == activations[1].incident_id
    assert activations[1].previous_level is Level.STANDBY
    assert activations[1].summary.sources == ["gdacs:EQ:8800001", "usgs:us7000abcd"]
    assert await count(database, IncidentRow) == 1
