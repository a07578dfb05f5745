"""The dedupe record and the outbox, together, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select

from schemas.hazards import HazardEvent
from services.common.db import Database
from services.common.outbox import outbox
from services.common.service import build_context
from services.common.settings import Settings
from services.common.unit_of_work import UnitOfWork
from services.ingester.models import SeenEvent
from services.ingester.publisher import EventPublisher
from services.ingester.sources import parse_document
from tests.unit.ingester.corpus import rss, rss_item

SERVICE = "ingester"


def events(*items: str) -> list[HazardEvent]:
    return parse_document(rss(*items))


async def outbox_keys(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list((await session.execute(select(outbox.c.key).order_by(outbox.c.id))).scalars())


async def test_a_document_publishes_each_new_event_once_with_its_key(database: Database) -> None:
    publisher = EventPublisher(build_context("ingester", Settings(), db=database))
    document = events(*(rss_item(i) for i in range(1, 301)))
    assert await publisher.publish_new(document) == 300
    assert await publisher.publish_new(document) == 0
    keys = await outbox_keys(database)
    assert keys == [f"gdacs:EQ:{i}" for i in range(1, 301)]


async def test_a_new_episode_is_published_and_counted_on_the_same_record(
    database: Database,
) -> None:
    publisher = EventPublisher(build_context("ingester", Settings(), db=database))
    assert await publisher.publish_new(events(rss_item(7, episode_id=1))) == 1
    assert await publisher.publish_new(events(rss_item(7, episode_id=2))) == 1
    assert await publisher.publish_new(events(rss_item(7, episode_id=1))) == 0
    async with database.sessions() as session:
        row = (await session.execute(select(SeenEvent))).scalar_one()
    assert (row.key, row.version, row.publish_count) == ("gdacs:EQ:7", "2", 2)


async def test_two_versions_of_one_event_in_one_document_publish_the_newer_only_once(
    database: Database,
) -> None:
    publisher = EventPublisher(build_context("ingester", Settings(), db=database))
    published = await publisher.publish_new(
        events(rss_item(8, episode_id=2), rss_item(8, episode_id=1), rss_item(8, episode_id=2))
    )
    assert published == 1


async def test_a_failed_transaction_leaves_neither_record_nor_outbox_row(
    database: Database,
) -> None:
    ctx = build_context("ingester", Settings(), db=database)
    publisher = EventPublisher(ctx)

    work = ctx.work

    @asynccontextmanager
    async def broken_work() -> AsyncIterator[UnitOfWork]:
        async with work() as unit:
            yield unit
            raise RuntimeError("crash after the record, before the outbox")

    ctx.work = broken_work  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await publisher.publish_new(events(rss_item(9)))
    async with database.sessions() as session:
        assert (
            await session.execute(select(func.count()).select_from(SeenEvent))
        ).scalar_one() == 0
    ctx.work = work  # type: ignore[method-assign]
    assert await publisher.publish_new(events(rss_item(9))) == 1
