"""The escalation clock over a real database: due timers fire once, the gauge follows."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select

from schemas.pages import Page
from services.common.db import Database
from services.common.outbox import outbox
from services.common.unit_of_work import units_of_work
from services.duty.clock import EscalationClock
from services.duty.repository import EscalationRepository, Links
from services.duty.rota import Rota
from services.duty.tokens import LinkSigner
from tests.integration.duty.factories import NOW, activation, rota_dict

SERVICE = "duty"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_due_timers_fire_once_and_the_open_unacknowledged_gauge_counts(
    database: Database,
) -> None:
    rota = Rota.model_validate(rota_dict())
    duty = EscalationRepository(
        lambda: rota, Links("http://x", LinkSigner("k" * 32, timedelta(hours=1)))
    )
    clock = Clock(NOW)
    escalation_clock = EscalationClock(database, duty, units_of_work(database), clock, tick_s=1)
    first, second = activation(), activation()
    for incoming in (first, second):
        async with database.transaction() as session:
            await duty.record_activation(session, incoming, NOW)

    assert await escalation_clock.fire_due() == 0
    clock.now = NOW + timedelta(minutes=5)
    assert await escalation_clock.fire_due() == 2
    assert await escalation_clock.fire_due() == 0  # fired timers do not fire again
    await escalation_clock.refresh_gauge()
    assert REGISTRY.get_sample_value("standby_open_unacknowledged") == 2

    async with database.sessions() as session:
        payloads = (
            await session.execute(select(outbox.c.payload).where(outbox.c.topic == "pages.v1"))
        ).scalars()
        steps = sorted(Page.model_validate_json(p).step for p in payloads)
    # The escalation clock relays what it fired (step 0 went with the handler).
    assert steps == [1, 1]


async def test_two_escalation_clocks_on_one_database_fire_each_due_timer_once(
    database: Database,
) -> None:
    if database.is_sqlite:
        return  # one duty process per SQLite database (decision 0701): nothing to share
    rota = Rota.model_validate(rota_dict())
    duty = EscalationRepository(
        lambda: rota, Links("http://x", LinkSigner("k" * 32, timedelta(hours=1)))
    )
    clock = Clock(NOW)
    # Two engines on one schema: two duty processes' pools.
    other = Database(database.url, database.service, schema=database.schema)
    escalation_clocks = [
        EscalationClock(db, duty, units_of_work(db), clock, tick_s=1) for db in (database, other)
    ]
    try:
        for _ in range(12):
            async with database.transaction() as session:
                await duty.record_activation(session, activation(), NOW)
        clock.now = NOW + timedelta(minutes=5)
        fired = await asyncio.gather(*(e.fire_due() for e in escalation_clocks))
    finally:
        await other.dispose()
    assert sum(fired) == 12

    async with database.sessions() as session:
        payloads = (
            await session.execute(select(outbox.c.payload).where(outbox.c.topic == "pages.v1"))
        ).scalars()
        steps = [Page.model_validate_json(p).step for p in payloads]
    assert steps == [1] * 12  # each backup paged once (step 0 went with the handler)
