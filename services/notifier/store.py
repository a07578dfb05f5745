"""The delivery log: which messages exist, their bodies, threads, and their latest state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import Activation, IncidentSummary
from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind, DeliveryStatus
from services.common.db import insert_many, upsert
from services.common.direct import DirectConnection
from services.common.presence import Presence
from services.notifier.jobs import Job, Outcome
from services.notifier.models import BodyRow, DeliveryRow, IncidentRow, ThreadRow

OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)
HOT_LEASE = timedelta(minutes=5)


async def record_new(
    session: AsyncSession,
    activation_id: str,
    jobs: Sequence[Job],
    bodies: dict[str, tuple[str, bytes]],
    *,
    owner: int,
    lease: timedelta = HOT_LEASE,
) -> list[Job]:
    """Store the jobs not stored before (one insert) as `owner`'s; return those it now holds.

    Keys stored before are skipped; so are keys a replica stores at the same moment (the
    insert ignores conflicts and only rows that came out `owner`'s are returned).
    """
    if bodies:
        now = utcnow()
        await session.execute(
            upsert(session, BodyRow).on_conflict_do_nothing(index_elements=["id"]),
            [
                {"id": body_id, "subject": subject, "content": content, "created_at": now}
                for body_id, (subject, content) in bodies.items()
            ],
        )
    existing = set(
        (
            await session.execute(
                select(DeliveryRow.key).where(DeliveryRow.activation_id == activation_id)
            )
        ).scalars()
    )
    fresh = [job for job in jobs if job.key not in existing]
    if fresh:
        now = utcnow()
        await insert_many(
            session,
            cast(Table, DeliveryRow.__table__),
            [
                {
                    "key": j.key,
                    "kind": j.kind.value,
                    "channel": j.channel.value,
                    "activation_id": j.activation_id,
                    "incident_id": j.incident_id,
                    "organisation_id": j.organisation_id,
                    "contact_id": j.contact_id,
                    "recipient": j.recipient,
                    "message_id": j.message_id,
                    "headers": j.headers,
                    "body_id": j.body_id,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                    # The dispatcher sends these right away; the scheduler looks at them
                    # only if they are still open when the lease ends (or after a restart).
                    "next_attempt_at": now + lease,
                    "owner": owner,
                }
                for j in fresh
            ],
            on_conflict_do_nothing=True,
        )
        if session.get_bind().dialect.name != "sqlite":
            # Only PostgreSQL can see a replica's concurrent insert; SQLite has one process.
            held = set(
                (
                    await session.execute(
                        select(DeliveryRow.key).where(
                            DeliveryRow.activation_id == activation_id,
                            DeliveryRow.owner == owner,
                            DeliveryRow.attempts == 0,
                        )
                    )
                ).scalars()
            )
            fresh = [job for job in fresh if job.key in held]
    return fresh


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


async def save_incident(session: AsyncSession, activation: Activation) -> None:
    """Keep the latest summary of the activation's incident."""
    incident_id = str(activation.incident_id)
    row = await session.get(IncidentRow, incident_id)
    values = {
        "activation_id": str(activation.activation_id),
        "level": activation.level.value,
        "summary": activation.summary.model_dump_json(),
        "updated_at": utcnow(),
    }
    if row is None:
        session.add(IncidentRow(incident_id=incident_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


async def incident_summary(session: AsyncSession, incident_id: str) -> IncidentSummary | None:
    row = await session.get(IncidentRow, incident_id)
    return IncidentSummary.model_validate_json(row.summary) if row else None


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
    presence: Presence,
    *,
    exclude: Iterable[str],
    limit: int = 500,
    lease: timedelta = HOT_LEASE,
) -> list[Job]:
    """Take the open deliveries that are due or orphaned, under a lease; load them.

    Due: their next attempt's time has come. Orphaned: their owner died (recorded, maybe
    never attempted). Rows are locked `FOR UPDATE SKIP LOCKED` and leased to this process in
    the caller's transaction, so a replica scanning at the same time takes other rows.
    """
    skip = set(exclude)
    keys = [
        key
        for key in (
            await session.execute(
                select(DeliveryRow.key)
                .where(
                    DeliveryRow.status.in_(OPEN_STATUSES),
                    (DeliveryRow.next_attempt_at <= now) | presence.orphaned(DeliveryRow.owner),
                )
                .order_by(DeliveryRow.next_attempt_at)
                .limit(limit + len(skip))
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        if key not in skip
    ][:limit]
    if not keys:
        return []
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.key.in_(keys))
        .values(owner=presence.id, next_attempt_at=now + lease)
    )
    rows = (
        await session.execute(
            select(DeliveryRow, BodyRow.content)
            .join(BodyRow, BodyRow.id == DeliveryRow.body_id)
            .where(DeliveryRow.key.in_(keys))
            .order_by(DeliveryRow.created_at)
        )
    ).all()
    return [
        Job(
            key=row.key,
            kind=DeliveryKind(row.kind),
            channel=Channel(row.channel),
            activation_id=row.activation_id,
            incident_id=row.incident_id,
            organisation_id=row.organisation_id,
            contact_id=row.contact_id,
            recipient=row.recipient,
            message_id=row.message_id,
            headers=row.headers,
            body_id=row.body_id,
            body=content,
            attempts=row.attempts,
        )
        for row, content in rows
    ]


async def next_due(session: AsyncSession) -> datetime | None:
    """Return when the earliest open delivery is due, if any."""
    return (
        await session.execute(
            select(func.min(DeliveryRow.next_attempt_at)).where(
                DeliveryRow.status.in_(OPEN_STATUSES)
            )
        )
    ).scalar_one_or_none()


_MARK_COLUMNS = ("status", "attempts", "error", "updated_at", "next_attempt_at", "sent_at", "key")
MARK_SQL = (
    "UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?,"
    " next_attempt_at = ?, sent_at = ? WHERE key = ?"
)


def outcome_rows(direct: DirectConnection, outcomes: Sequence[Outcome]) -> list[tuple[Any, ...]]:
    """Turn outcomes into the rows of `MARK_SQL`, converted for the direct connection."""
    # One time for the batch (the commit's): converting a datetime for SQLite costs ~4 µs.
    convert = direct.converter(cast(Table, DeliveryRow.__table__), _MARK_COLUMNS)
    (_, _, _, at, _, _, _) = convert(("", 0, None, max(o.at for o in outcomes), None, None, ""))
    sent = DeliveryStatus.SENT
    return [
        (o.status.value, o.job.attempts, None, at, None, at, o.job.key)
        if o.status is sent
        else convert(
            (o.status.value, o.job.attempts, o.error, o.at, o.next_attempt_at, None, o.job.key)
        )
        for o in outcomes
    ]
