"""A delivery held for quiet hours stays held when its process dies, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from schemas.base import utcnow
from services.common.db import Database
from services.common.presence import ProcessPresence
from services.notifier import store
from services.notifier.delivery_log import DeliveryLog
from tests.integration.notifier.delivery_jobs import job

SERVICE = "notifier"


async def test_an_orphan_is_taken_at_once_but_a_held_one_only_when_its_hours_end(
    database: Database,
) -> None:
    dead, alive = ProcessPresence(database), ProcessPresence(database)  # `dead` never held its lock
    await alive.start()
    try:
        now = utcnow()
        ends = now + timedelta(hours=7)
        quiet, normal = job("quinn"), job("ivy")
        await DeliveryLog(database).record(
            [quiet, normal],
            {"body": ("subject", b"hello")},
            stored=set(),
            owner=dead.id,
            held={quiet.key: ends},
        )
        async with database.transaction() as session:
            taken = await store.claim_due(session, now, alive, exclude=())
        assert [j.key for j in taken] == [normal.key]
        # From here the normal one is in flight in this process (its lease would end meanwhile).
        sending = {normal.key}
        async with database.transaction() as session:
            assert (
                await store.claim_due(session, ends - timedelta(seconds=1), alive, exclude=sending)
                == []
            )
        async with database.transaction() as session:
            later = await store.claim_due(session, ends, alive, exclude=sending)
        assert [j.key for j in later] == [quiet.key]
    finally:
        await alive.stop()
