"""Two notifier replicas recording the same deliveries at the same moment on PostgreSQL: each
key comes out one replica's, and each replica hands its dispatcher exactly the keys it owns."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from services.common.db import Database
from services.notifier.delivery_log import DeliveryLog
from services.notifier.models import DeliveryRow
from tests.conftest import PG_URL, postgres_available
from tests.integration.notifier.delivery_jobs import job

SERVICE = "notifier"


@pytest.mark.postgres
async def test_replicas_recording_the_same_keys_each_get_the_ones_they_own() -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL is not answering at 127.0.0.1:5432 (database test)")
    schema = f"t_notifier_{uuid.uuid4().hex[:10]}"
    one, two = Database(PG_URL, SERVICE, schema=schema), Database(PG_URL, SERVICE, schema=schema)
    await one.migrate()
    try:
        for round_ in range(5):
            # Personal bodies of ~40 KB: a chunk spans several of SQLite's pieces.
            bodies = {f"b{round_}-{n}": ("subject", b"x" * 40_000) for n in range(30)}
            jobs = [job(f"c{round_ * 100 + n:04d}", f"b{round_}-{n}") for n in range(30)]
            # Each replica's chunk overlaps the other's: the middle ten are asked of both.
            first, second = await asyncio.gather(
                DeliveryLog(one).record(jobs[:20], bodies, stored=set(), owner=1),
                DeliveryLog(two).record(jobs[10:], bodies, stored=set(), owner=2),
            )
            mine, theirs = {j.key for j in first}, {j.key for j in second}
            assert not mine & theirs
            assert mine | theirs == {j.key for j in jobs}
            async with one.sessions() as session:
                rows = await session.execute(select(DeliveryRow.key, DeliveryRow.owner))
                owners = {key: owner for key, owner in rows}
            assert {k for k, o in owners.items() if o == 1} >= mine
            assert {k for k, o in owners.items() if o == 2} >= theirs
            # Asked again, a replica holds what it held and nothing of the other's.
            again = await DeliveryLog(one).record(jobs, bodies, stored=set(), owner=1)
            assert {j.key for j in again} == mine
    finally:
        await one.drop_schema()
        await one.dispose()
        await two.dispose()


async def test_a_chunk_is_recorded_whole_and_what_was_stored_is_left_out(
    database: Database,
) -> None:
    bodies = {f"b{n}": ("subject", b"x" * 40_000) for n in range(12)}
    jobs = [job(f"c{n:04d}", f"b{n}") for n in range(12)]
    log = DeliveryLog(database)
    got = await log.record(jobs, bodies, stored={jobs[0].key}, owner=7)
    assert [j.key for j in got] == [j.key for j in jobs[1:]]
    async with database.sessions() as session:
        keys = set((await session.execute(select(DeliveryRow.key))).scalars())
    assert keys == {j.key for j in jobs[1:]}
