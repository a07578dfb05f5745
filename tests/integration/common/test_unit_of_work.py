"""The unit of work: messages reach the outbox and hooks run only when it commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common.db import Database
from services.common.outbox import outbox
from services.common.unit_of_work import units_of_work
from tests.integration.common.test_outbox import event

SERVICE = "common"


async def rows(database: Database) -> list[tuple[str, str | None]]:
    async with database.sessions() as session:
        found = await session.execute(
            select(outbox.c.message_id, outbox.c.key).order_by(outbox.c.id)
        )
    return [(m, k) for m, k in found.all()]


async def test_a_committed_unit_publishes_in_order_then_runs_its_hooks(database: Database) -> None:
    seen: list[str] = []
    work = units_of_work(database, on_commit=lambda: seen.append("relay woken"))
    first, second, third = event(1), event(2), event(3)
    async with work() as unit:
        unit.publish(first, second, key="a")
        unit.after_commit(lambda: seen.append("counted"))
        unit.publish(third, key="b")
        assert await rows(database) == []  # nothing before commit
        assert seen == []
    assert await rows(database) == [
        (str(first.id), "a"),
        (str(second.id), "a"),
        (str(third.id), "b"),
    ]
    assert seen == ["counted", "relay woken"]


async def test_a_failed_unit_publishes_nothing_and_runs_no_hook(database: Database) -> None:
    seen: list[str] = []
    work = units_of_work(database, on_commit=lambda: seen.append("relay woken"))
    with pytest.raises(RuntimeError):
        async with work() as unit:
            assert await unit.claim(event(1))
            unit.publish(event(1))
            unit.after_commit(lambda: seen.append("counted"))
            raise RuntimeError("handler failed")
    assert await rows(database) == [] and seen == []
    async with work() as unit:
        assert await unit.claim(event(1))  # the claim rolled back too


async def test_a_message_is_claimed_once(database: Database) -> None:
    work = units_of_work(database)
    message = event(7)
    async with work() as unit:
        assert await unit.claim(message)
    async with work() as unit:
        assert not await unit.claim(message)
