"""The delivery log's reads, and the writes that join the caller's transaction.

Which deliveries exist and are due, who was told about an incident, each contact's thread,
closed incidents. Every function runs in the caller's session and never commits; the fast
path's own writes (new deliveries, send marks) are `delivery_log.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind, DeliveryStatus
from services.common.db import upsert
from services.common.presence import ProcessPresence
from services.notifier.delivery_log import HOT_LEASE
from services.notifier.jobs import Job
from services.notifier.models import BodyRow, ClosedIncident, DeliveryRow, ThreadRow

OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)


async def recorded_keys(session: AsyncSession, activation_id: str) -> set[str]:
    """The keys of the deliveries stored so far about an activation."""
    found = await session.execute(
        select(DeliveryRow.key).where(DeliveryRow.activation_id == activation_id)
    )
    return set(found.scalars())


async def thread_roots(session: AsyncSession, incident_id: str) -> dict[str, str]:
    """Return each contact's thread root for an incident."""
    rows = await session.execute(
        select(ThreadRow.contact_ref, ThreadRow.root_message_id).where(
            ThreadRow.incident_id == incident_id
        )
    )
    return {ref: root for ref, root in rows}


async def add_threads(session: AsyncSession, incident_id: str, roots: dict[str, str]) -> None:
    """Remember the first message of each new thread."""
    if not roots:
        return
    now = utcnow()
    await session.execute(
        upsert(session, ThreadRow).on_conflict_do_nothing(
            index_elements=["incident_id", "contact_ref"]
        ),
        [
            {
                "incident_id": incident_id,
                "contact_ref": ref,
                "root_message_id": root,
                "created_at": now,
            }
            for ref, root in roots.items()
        ],
    )


async def close_incident(session: AsyncSession, incident_id: str, at: datetime) -> None:
    """Note that an acknowledgement closed an incident (its notices are recorded by now)."""
    stmt = upsert(session, ClosedIncident).values(incident_id=incident_id, closed_at=at)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["incident_id"], set_={"closed_at": at})
    )


async def told_contacts(session: AsyncSession, incident_id: str) -> list[tuple[str, str, Channel]]:
    """List the (organisation, contact, channel) that were or are being told about an incident."""
    rows = await session.execute(
        select(DeliveryRow.organisation_id, DeliveryRow.contact_id, DeliveryRow.channel)
        .where(
            DeliveryRow.incident_id == incident_id,
            DeliveryRow.kind == DeliveryKind.MEMBER_ALERT.value,
            DeliveryRow.status != DeliveryStatus.FAILED.value,
            DeliveryRow.organisation_id.is_not(None),
        )
        .distinct()
        .order_by(DeliveryRow.organisation_id, DeliveryRow.contact_id)
    )
    return [(str(org), contact, Channel(channel)) for org, contact, channel in rows]


async def claim_due(
    session: AsyncSession,
    now: datetime,
    presence: ProcessPresence,
    *,
    exclude: Iterable[str],
    limit: int = 500,
    lease: timedelta = HOT_LEASE,
) -> list[Job]:
    """Take the open deliveries that are due or orphaned, under a lease; load them.

    Due: their next attempt's time has come. Orphaned: their owner died (recorded, maybe
    never attempted), unless quiet hours hold them still. Rows are locked `FOR UPDATE SKIP
    LOCKED` and leased to this process in the caller's transaction, so a replica scanning at
    the same time takes other rows.
    """
    keys = await _due_keys(session, now, presence, skip=set(exclude), limit=limit)
    if not keys:
        return []
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.key.in_(keys))
        .values(owner=presence.id, next_attempt_at=now + lease)
    )
    return await _jobs(session, keys)


async def _due_keys(
    session: AsyncSession, now: datetime, presence: ProcessPresence, *, skip: set[str], limit: int
) -> list[str]:
    """The keys of up to `limit` open rows due or orphaned, oldest due first, but `skip`'s."""
    due = DeliveryRow.next_attempt_at <= now
    orphaned = presence.orphaned(DeliveryRow.owner) & (
        DeliveryRow.held_until.is_(None) | (DeliveryRow.held_until <= now)
    )
    found = await session.execute(
        select(DeliveryRow.key)
        .where(DeliveryRow.status.in_(OPEN_STATUSES), due | orphaned)
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit + len(skip))
        .with_for_update(skip_locked=True)
    )
    return [key for key in found.scalars() if key not in skip][:limit]


async def _jobs(session: AsyncSession, keys: Sequence[str]) -> list[Job]:
    """Load the deliveries of `keys` with their bodies, as jobs, in the order recorded."""
    rows = await session.execute(
        select(DeliveryRow, BodyRow.content)
        .join(BodyRow, BodyRow.id == DeliveryRow.body_id)
        .where(DeliveryRow.key.in_(keys))
        .order_by(DeliveryRow.created_at)
    )
    return [_job(row, content) for row, content in rows.all()]


# A job is its delivery row as stored but for the two words read as enums and the body.
_AS_STORED = tuple(f.name for f in fields(Job) if f.name not in {"kind", "channel", "body"})


def _job(row: DeliveryRow, body: bytes) -> Job:
    return Job(
        kind=DeliveryKind(row.kind),
        channel=Channel(row.channel),
        body=body,
        **{name: getattr(row, name) for name in _AS_STORED},
    )


async def next_due(session: AsyncSession) -> datetime | None:
    """Return when the earliest open delivery is due, if any."""
    return (
        await session.execute(
            select(func.min(DeliveryRow.next_attempt_at)).where(
                DeliveryRow.status.in_(OPEN_STATUSES)
            )
        )
    ).scalar_one_or_none()
