"""The delivery log: which messages exist, their bodies, threads, and their latest state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind, DeliveryStatus
from services.common.db import upsert
from services.common.direct import DirectConnection
from services.common.presence import Presence
from services.notifier.jobs import Attempt, Job
from services.notifier.models import BodyRow, ClosedIncident, DeliveryRow, ThreadRow

OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)
HOT_LEASE = timedelta(minutes=5)


_BODY_SQL = (
    "INSERT INTO bodies (id, subject, content, created_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING"
)
_JOB_COLUMNS = (
    "key",
    "kind",
    "channel",
    "activation_id",
    "incident_id",
    "organisation_id",
    "contact_id",
    "recipient",
    "message_id",
    "headers",
    "body_id",
    "status",
    "attempts",
    "created_at",
    "updated_at",
    "next_attempt_at",
    "owner",
    "held_until",
)
_JOB_SQL = (
    f"INSERT INTO deliveries ({', '.join(_JOB_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _JOB_COLUMNS)}) ON CONFLICT (key) DO NOTHING"
)


async def recorded_keys(session: AsyncSession, activation_id: str) -> set[str]:
    """The keys of the deliveries stored so far about an activation."""
    found = await session.execute(
        select(DeliveryRow.key).where(DeliveryRow.activation_id == activation_id)
    )
    return set(found.scalars())


async def record_new(
    session: AsyncSession,
    log: DirectConnection,
    jobs: Sequence[Job],
    bodies: dict[str, tuple[str, bytes]],
    *,
    stored: set[str],
    owner: int,
    lease: timedelta = HOT_LEASE,
    held: Mapping[str, datetime] | None = None,
) -> list[Job]:
    """Store the jobs whose keys are not `stored` as `owner`'s; return those it now holds.

    A job whose key is in `held` is due only at that time (a contact's quiet hours): no scan
    takes it before, even once its owner is gone.

    The rows are written on `log`, the connection the send marks are written on, a few
    dozen kilobytes a transaction: a mark waits behind one piece at most, never behind a
    whole chunk of personal bodies (20 ms under load). A crash between pieces leaves the
    message unclaimed; its redelivery skips the keys stored. Keys a replica stores at the
    same moment are skipped too (the insert ignores conflicts and only rows that came out
    `owner`'s are returned).
    """
    fresh = [job for job in jobs if job.key not in stored]
    for piece, piece_bodies in _pieces(fresh, bodies):
        await log.write(
            _rows_of(log, piece, piece_bodies, owner=owner, lease=lease, held=held or {})
        )
    if fresh and log.dialect != "sqlite":
        # Only PostgreSQL can see a replica's concurrent insert; SQLite has one process.
        ours = set(
            (
                await session.execute(
                    select(DeliveryRow.key).where(
                        DeliveryRow.key.in_([j.key for j in fresh]),
                        DeliveryRow.owner == owner,
                        DeliveryRow.attempts == 0,
                    )
                )
            ).scalars()
        )
        fresh = [job for job in fresh if job.key in ours]
    return fresh


_PIECE_BYTES = 64 * 1024


def _pieces(
    jobs: Sequence[Job], bodies: dict[str, tuple[str, bytes]]
) -> Iterator[tuple[list[Job], dict[str, tuple[str, bytes]]]]:
    """Split jobs into pieces of about `_PIECE_BYTES`, each with the bodies it first uses."""
    piece: list[Job] = []
    piece_bodies: dict[str, tuple[str, bytes]] = {}
    size = 0
    written: set[str] = set()
    for job in jobs:
        body = bodies.get(job.body_id)
        if body is not None and job.body_id not in written:
            # Each body goes with the first piece that uses it; later pieces find it stored.
            written.add(job.body_id)
            piece_bodies[job.body_id] = body
            size += len(body[1])
        piece.append(job)
        size += len(job.headers) + 200
        if size >= _PIECE_BYTES:
            yield piece, piece_bodies
            piece, piece_bodies, size = [], {}, 0
    if piece:
        yield piece, piece_bodies


def _rows_of(
    log: DirectConnection,
    jobs: Sequence[Job],
    bodies: dict[str, tuple[str, bytes]],
    *,
    owner: int,
    lease: timedelta,
    held: Mapping[str, datetime],
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The bodies and deliveries rows of new jobs, converted for `log`."""
    # The dispatcher sends these right away; the scheduler looks at them only if they are
    # still open when the lease ends (or after a restart).
    now = utcnow()
    # Only the times need converting (strings, bytes and integers go to either driver as
    # they are), and every row shares them: converted once (a datetime for SQLite ~4 µs).
    times = log.converter(cast(Table, DeliveryRow.__table__), ("created_at", "next_attempt_at"))
    at, due = times((now, now + lease))
    # Held rows are few (a contact's quiet hours): each converted on its own.
    until = {key: times((now, moment))[1] for key, moment in held.items()}
    (body_at,) = log.converter(cast(Table, BodyRow.__table__), ("created_at",))((now,))
    pending = DeliveryStatus.PENDING.value
    return [
        (_BODY_SQL, [(i, subject, body, body_at) for i, (subject, body) in bodies.items()]),
        (
            _JOB_SQL,
            [
                (
                    j.key,
                    j.kind.value,
                    j.channel.value,
                    j.activation_id,
                    j.incident_id,
                    j.organisation_id,
                    j.contact_id,
                    j.recipient,
                    j.message_id,
                    j.headers,
                    j.body_id,
                    pending,
                    0,
                    at,
                    at,
                    until.get(j.key, due),
                    owner,
                    until.get(j.key),
                )
                for j in jobs
            ],
        ),
    ]


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
    presence: Presence,
    *,
    exclude: Iterable[str],
    limit: int = 500,
    lease: timedelta = HOT_LEASE,
) -> list[Job]:
    """Take the open deliveries that are due or orphaned, under a lease; load them.

    Due: their next attempt's time has come. Orphaned: their owner died (recorded, maybe
    never attempted), unless quiet hours hold them still. Rows are locked `FOR UPDATE SKIP LOCKED` and leased to this process in
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
                    (DeliveryRow.next_attempt_at <= now)
                    | (
                        presence.orphaned(DeliveryRow.owner)
                        & (DeliveryRow.held_until.is_(None) | (DeliveryRow.held_until <= now))
                    ),
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


def outcome_rows(direct: DirectConnection, outcomes: Sequence[Attempt]) -> list[tuple[Any, ...]]:
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
