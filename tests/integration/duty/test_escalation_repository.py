"""Paging, escalation timers and transitions as stored, on SQLite and PostgreSQL.

The rules themselves are tested without a database in tests/unit/duty/test_escalation.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Activation, Level
from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus
from schemas.pages import Page
from services.common.db import Database
from services.duty import queries
from services.duty.models import DutyTimer, DutyTransition
from services.duty.repository import ChainExhaustedError, EscalationRepository, Links, StateChange
from services.duty.rota import Rota
from services.duty.states import Action, DutyState, TransitionError
from services.duty.timeline import record_delivery
from services.duty.tokens import LinkSigner
from tests.integration.duty.factories import NOW, activation, rota_dict

SERVICE = "duty"


@pytest.fixture
def duty() -> EscalationRepository:
    rota = Rota.model_validate(rota_dict())
    signer = LinkSigner("k" * 32, timedelta(hours=24))
    return EscalationRepository(lambda: rota, Links("https://duty.example.org/", signer))


@pytest.fixture
async def incoming(database: Database, duty: EscalationRepository) -> Activation:
    """An activate-level activation recorded at NOW: aoki is paged and step 1 is timed."""
    recorded = activation()
    await record(database, duty, recorded)
    return recorded


async def record(
    database: Database, duty: EscalationRepository, incoming: Activation, at: datetime = NOW
) -> StateChange:
    """Record an activation in a transaction of its own."""
    async with database.transaction() as session:
        return await duty.record_activation(session, incoming, at)


async def act(
    database: Database,
    duty: EscalationRepository,
    incoming: Activation,
    action: Action,
    officer: str | None,
    via: AckVia,
    at: datetime = NOW,
    **fields: str,
) -> StateChange:
    """Take an officer's action on an activation in a transaction of its own."""
    async with database.transaction() as session:
        return await duty.act(session, incoming.activation_id, action, officer, via, at, **fields)


async def detail_of(database: Database, incoming: Activation) -> queries.ActivationDetail:
    """The console's view of an activation, as stored."""
    async with database.sessions() as session:
        found = await queries.activation_detail(session, incoming.activation_id)
    assert found is not None
    return found


async def test_an_activate_level_pages_the_on_duty_officer_in_the_same_transaction(
    database: Database, duty: EscalationRepository
) -> None:
    incoming = activation(Level.ACTIVATE)
    outcome = await record(database, duty, incoming)
    pages = [m for m in outcome.messages if isinstance(m, Page)]
    acks = [m for m in outcome.messages if isinstance(m, AckEvent)]
    assert [(p.step, p.target.officer_id, p.target.name) for p in pages] == [
        (0, "aoki", "Aoki Aoi")
    ]
    # The page names the officer; channels stay in the rota (the notifier reads them there).
    assert pages[0].target.email is None and pages[0].target.apprise_urls == []
    assert pages[0].ack_url and pages[0].ack_url.startswith("https://duty.example.org/a/")
    assert pages[0].console_url == f"https://duty.example.org/activations/{incoming.activation_id}"
    assert [(a.state, a.step, a.summary) for a in acks] == [(AckState.PAGED, 0, incoming.summary)]
    detail = await detail_of(database, incoming)
    assert detail.state is DutyState.PAGED
    assert detail.next_escalation_at == NOW + timedelta(minutes=5)
    assert [s.officer_ids for s in detail.chain] == [["aoki"], ["sato"], ["ito"]]


async def test_a_watch_activation_is_recorded_but_nobody_is_paged(
    database: Database, duty: EscalationRepository
) -> None:
    incoming = activation(Level.WATCH)
    outcome = await record(database, duty, incoming)
    assert outcome.messages == []
    async with database.sessions() as session:
        items = await queries.list_activations(session)
        timers = (await session.execute(select(DutyTimer))).scalars().all()
    assert [(i.state, i.actions) for i in items] == [(DutyState.RECORDED, [])]
    assert timers == []


async def test_a_redelivered_activation_pages_nobody_twice(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    again = await record(database, duty, incoming)
    assert again.messages == []


async def test_a_due_timer_escalates_to_the_backup_and_schedules_the_next_step(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    later = NOW + timedelta(minutes=5, seconds=1)
    async with database.sessions() as session:
        assert await duty.due_timers(session, NOW + timedelta(minutes=4)) == []
        due = await duty.due_timers(session, later)
    async with database.transaction() as session:
        outcome = await duty.fire_timer(session, due[0], later)
    pages = [m for m in outcome.messages if isinstance(m, Page)]
    acks = [m for m in outcome.messages if isinstance(m, AckEvent)]
    assert [(p.step, p.target.officer_id) for p in pages] == [(1, "sato")]
    assert [(a.state, a.step, a.via) for a in acks] == [(AckState.ESCALATED, 1, AckVia.TIMER)]
    detail = await detail_of(database, incoming)
    assert detail.state is DutyState.ESCALATED and detail.step == 1
    assert detail.next_escalation_at == later + timedelta(minutes=10)


async def test_acknowledging_cancels_the_timer_and_a_stale_timer_returns_early(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    async with database.sessions() as session:
        (timer_id,) = await duty.due_timers(session, NOW + timedelta(hours=1))
    outcome = await act(database, duty, incoming, Action.ACKNOWLEDGE, "aoki", AckVia.CONSOLE)
    assert [
        (m.state, m.officer_id, m.via) for m in outcome.messages if isinstance(m, AckEvent)
    ] == [(AckState.ACKNOWLEDGED, "aoki", AckVia.CONSOLE)]
    async with database.transaction() as session:
        stale = await duty.fire_timer(session, timer_id, NOW + timedelta(hours=1))
    assert stale.messages == []
    async with database.sessions() as session:
        assert await duty.due_timers(session, NOW + timedelta(days=1)) == []
        timer = await session.get(DutyTimer, timer_id)
        detail = await queries.activation_detail(session, incoming.activation_id)
    assert timer is not None and timer.status == "cancelled"
    assert detail is not None and detail.acknowledged_by == "aoki"
    assert detail.next_escalation_at is None


async def test_launch_follows_the_boards_programme_then_closes_and_is_audited(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    events: list[AckEvent] = []
    outcome = await act(
        database, duty, incoming, Action.ACKNOWLEDGE, "aoki", AckVia.API, NOW, note="ack note"
    )
    events += [m for m in outcome.messages if isinstance(m, AckEvent)]
    names = ("支援", "Response")
    for minute, action in ((1, Action.LAUNCH), (2, Action.LAUNCH), (3, Action.CLOSE)):
        async with database.transaction() as session:
            outcome = await duty.follow_programme(
                session,
                incoming.activation_id,
                action,
                "sato",
                names,
                NOW + timedelta(minutes=minute),
            )
        events += [m for m in outcome.messages if isinstance(m, AckEvent)]
    assert [e.state for e in events] == [AckState.ACKNOWLEDGED, AckState.LAUNCHED, AckState.CLOSED]
    assert all(e.summary == incoming.summary for e in events)
    assert events[1].programme_en == "Response"
    async with database.sessions() as session:
        audit = (
            await session.execute(
                select(DutyTransition.state, DutyTransition.officer_id, DutyTransition.via)
                .where(DutyTransition.activation_id == str(incoming.activation_id))
                .order_by(DutyTransition.id)
            )
        ).all()
    assert [tuple(row) for row in audit] == [
        ("paged", None, "timer"),
        ("acknowledged", "aoki", "api"),
        ("launched", "sato", "console"),
        ("closed", "sato", "console"),
    ]


async def test_an_action_out_of_order_changes_nothing(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    with pytest.raises(TransitionError):
        await act(database, duty, incoming, Action.LAUNCH, "aoki", AckVia.API)
    assert (await detail_of(database, incoming)).state is DutyState.PAGED


async def test_escalate_now_walks_the_chain_until_it_runs_out(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:
    paged: list[str] = []
    for _ in range(2):
        outcome = await act(database, duty, incoming, Action.ESCALATE, "aoki", AckVia.CONSOLE)
        paged += [m.target.officer_id for m in outcome.messages if isinstance(m, Page)]
    assert paged == ["sato", "ito"]
    assert Action.ESCALATE not in (await detail_of(database, incoming)).actions
    with pytest.raises(ChainExhaustedError):
        await act(database, duty, incoming, Action.ESCALATE, "aoki", AckVia.CONSOLE)


async def test_an_upgrade_supersedes_the_open_activation_and_its_timer(
    database: Database, duty: EscalationRepository
) -> None:
    standby = activation(Level.STANDBY)
    upgrade = activation(Level.ACTIVATE, incident_id=standby.incident_id)
    await record(database, duty, standby)
    await record(database, duty, upgrade, NOW + timedelta(minutes=1))
    async with database.sessions() as session:
        items = await queries.list_activations(session)
        due = await duty.due_timers(session, NOW + timedelta(minutes=5, seconds=30))
    assert [(i.activation_id, i.superseded_by) for i in items] == [
        (upgrade.activation_id, None),
        (standby.activation_id, upgrade.activation_id),
    ]
    assert due == []


async def test_a_late_delivery_report_does_not_overwrite_a_newer_one(
    database: Database, duty: EscalationRepository, incoming: Activation
) -> None:

    def report(status: DeliveryStatus, minute: int, error: str | None = None) -> Delivery:
        return Delivery(
            occurred_at=NOW + timedelta(minutes=minute),
            delivery_key=f"{incoming.activation_id}:jpf/tanaka:email",
            kind=DeliveryKind.MEMBER_ALERT,
            activation_id=incoming.activation_id,
            organisation_id="jpf",
            contact_id="tanaka",
            channel=Channel.EMAIL,
            status=status,
            attempts=minute,
            error=error,
        )

    for message in (
        report(DeliveryStatus.RETRYING, 1, "421 busy"),
        report(DeliveryStatus.FAILED, 3, "550 no such user"),
        report(DeliveryStatus.RETRYING, 2, "421 busy"),
    ):
        async with database.transaction() as session:
            await record_delivery(session, message)
    async with database.sessions() as session:
        rows = await queries.deliveries_of(session, UUID(str(incoming.activation_id)))
    assert [(r.status, r.attempts, r.error) for r in rows] == [("failed", 3, "550 no such user")]


async def test_pages_escalations_and_acknowledgements_are_counted_once_committed(
    database: Database, duty: EscalationRepository
) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        sample("standby_pages_total", level="activate"),
        sample("standby_escalations_total", step="1"),
        sample("standby_duty_transitions_total", state="acknowledged", via="link"),
        sample("standby_time_to_ack_seconds_count"),
    )
    incoming = activation()
    paged = await record(database, duty, incoming)
    escalated = await act(database, duty, incoming, Action.ESCALATE, None, AckVia.CONSOLE)
    acked = await act(
        database,
        duty,
        incoming,
        Action.ACKNOWLEDGE,
        "sato",
        AckVia.LINK,
        NOW + timedelta(seconds=90),
    )
    assert sample("standby_pages_total", level="activate") == before[0]  # not before commit
    for outcome in (paged, escalated, acked):
        outcome.committed()
    after = (
        sample("standby_pages_total", level="activate"),
        sample("standby_escalations_total", step="1"),
        sample("standby_duty_transitions_total", state="acknowledged", via="link"),
        sample("standby_time_to_ack_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]
