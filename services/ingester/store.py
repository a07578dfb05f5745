"""Reading and writing the ingester's record of published events, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import utcnow
from services.common.db import upsert
from services.ingester.changes import Seen
from services.ingester.models import EventAlias, SeenEvent, UsgsDetail

_CHUNK = 500  # well under SQLite's bound-parameter limit


async def load_seen(session: AsyncSession, keys: Iterable[str]) -> dict[str, Seen]:
    """Return what was published before of each of these events."""
    wanted = sorted(set(keys))
    found: dict[str, Seen] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = await session.execute(
            select(SeenEvent.key, SeenEvent.version, SeenEvent.fingerprint).where(
                SeenEvent.key.in_(wanted[start : start + _CHUNK])
            )
        )
        for key, version, fingerprint in rows:
            found[key] = Seen.loads(version, fingerprint)
    return found


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
            "version": stmt.excluded.version,
            "fingerprint": stmt.excluded.fingerprint,
            "published_at": stmt.excluded.published_at,
            "publish_count": SeenEvent.publish_count + 1,
        },
    )
    await session.execute(stmt)


async def load_aliases(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    """Return the event id each of these USGS ids was first seen under, where known."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = await session.execute(
            select(EventAlias.alias, EventAlias.event_id).where(
                EventAlias.alias.in_(wanted[start : start + _CHUNK])
            )
        )
        found.update({alias: event_id for alias, event_id in rows})
    return found


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
    wanted = sorted(set(event_ids))
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = await session.execute(
            select(UsgsDetail.event_id, UsgsDetail.trigger, UsgsDetail.pager).where(
                UsgsDetail.event_id.in_(wanted[start : start + _CHUNK])
            )
        )
        found.update({event_id: (trigger, pager) for event_id, trigger, pager in rows})
    return found


async def record_detail(session: AsyncSession, event_id: str, trigger: str, pager: str) -> None:
    """Remember what one event's detail said, replacing what an earlier fetch said."""
    stmt = upsert(session, UsgsDetail).values(
        event_id=event_id, trigger=trigger, pager=pager, fetched_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[UsgsDetail.event_id],
        set_={
            "trigger": stmt.excluded.trigger,
            "pager": stmt.excluded.pager,
            "fetched_at": stmt.excluded.fetched_at,
        },
    )
    await session.execute(stmt)
