"""Reading and writing the ingester's record of published events, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from schemas.base import utcnow
from services.common.db import upsert
from services.ingester.changes import Seen
from services.ingester.models import EventAlias, SeenEvent, UsgsDetail

_CHUNK = 500  # well under SQLite's bound-parameter limit

Insert = postgresql.Insert | sqlite.Insert
_Ts = TypeVarTuple("_Ts")


async def _rows_for(
    session: AsyncSession,
    query: Select[*_Ts],
    key: InstrumentedAttribute[str],
    keys: Iterable[str],
) -> list[Row[*_Ts]]:
    """Run `query` for each of these keys, in chunks of at most _CHUNK keys."""
    wanted = sorted(set(keys))
    rows: list[Row[*_Ts]] = []
    for start in range(0, len(wanted), _CHUNK):
        rows.extend(await session.execute(query.where(key.in_(wanted[start : start + _CHUNK]))))
    return rows


def _from_insert(stmt: Insert, *columns: str) -> dict[str, Any]:
    """On a conflict, these columns take the values the INSERT brought."""
    return {column: stmt.excluded[column] for column in columns}


async def load_seen(session: AsyncSession, keys: Iterable[str]) -> dict[str, Seen]:
    """Return what was published before of each of these events."""
    query = select(SeenEvent.key, SeenEvent.version, SeenEvent.fingerprint)
    rows = await _rows_for(session, query, SeenEvent.key, keys)
    return {key: Seen.loads(version, fingerprint) for key, version, fingerprint in rows}


async def record_published(session: AsyncSession, key: str, seen: Seen) -> None:
    """Remember the version and values just published for one event."""
    now = utcnow()
    stmt = upsert(session, SeenEvent).values(
        key=key,
        version=seen.version,
        fingerprint=seen.dumps(),
        first_seen_at=now,
        published_at=now,
        publish_count=1,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[SeenEvent.key],
        set_={
            **_from_insert(stmt, "version", "fingerprint", "published_at"),
            "publish_count": SeenEvent.publish_count + 1,
        },
    )
    await session.execute(stmt)


async def load_aliases(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    """Return the event id each of these USGS ids was first seen under, where known."""
    query = select(EventAlias.alias, EventAlias.event_id)
    rows = await _rows_for(session, query, EventAlias.alias, ids)
    return {alias: event_id for alias, event_id in rows}


async def record_aliases(session: AsyncSession, aliases: dict[str, str]) -> None:
    """Remember new USGS ids under their event's id (an id already held keeps its event)."""
    now = utcnow()
    for alias, event_id in aliases.items():
        stmt = upsert(session, EventAlias).values(alias=alias, event_id=event_id, seen_at=now)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=[EventAlias.alias]))


async def load_details(
    session: AsyncSession, event_ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """(trigger, PAGER facts) of the USGS events whose detail was fetched before, as stored."""
    query = select(UsgsDetail.event_id, UsgsDetail.trigger, UsgsDetail.pager)
    rows = await _rows_for(session, query, UsgsDetail.event_id, event_ids)
    return {event_id: (trigger, pager) for event_id, trigger, pager in rows}


async def record_detail(session: AsyncSession, event_id: str, trigger: str, pager: str) -> None:
    """Remember what one event's detail said, replacing what an earlier fetch said."""
    stmt = upsert(session, UsgsDetail).values(
        event_id=event_id, trigger=trigger, pager=pager, fetched_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[UsgsDetail.event_id],
        set_=_from_insert(stmt, "trigger", "pager", "fetched_at"),
    )
    await session.execute(stmt)
