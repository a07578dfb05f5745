"""The delivery log's fast path: the one place the notifier writes on the direct connection.

Two writes keep a fan-out exactly once in the log (decision 0400), and both are here:
`record` stores a chunk's new deliveries and their bodies before they are handed to the
dispatcher, and `mark` stores what came of each send, with the `Delivery` messages and dead
letters it publishes through the outbox, in one transaction. Each commits on its own, a few
milliseconds at a time, on the database's direct connection (`services/common/direct.py`):
through the ORM session a commit costs ~0.6 ms of CPU instead of ~0.1 ms, and on SQLite it
would hold the file's write lock across trips through a busy event loop. Everything else
the notifier stores goes through a session in the caller's transaction (`store.py`,
`preference_store.py`, `digest_store.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table

from schemas.base import Message, utcnow
from schemas.deliveries import DeliveryStatus
from services.common.db import Database
from services.common.outbox import OUTBOX_SQL, outbox_rows
from services.notifier.jobs import Attempt, Job
from services.notifier.models import BodyRow, DeliveryRow

# Rows handed straight to the dispatcher are due only when this lease ends: the retry scan
# does not reload the thousands of rows being sent (after a restart, their owner is gone).
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
_MARK_COLUMNS = ("status", "attempts", "error", "updated_at", "next_attempt_at", "sent_at", "key")
_MARK_SQL = (
    "UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?,"
    " next_attempt_at = ?, sent_at = ? WHERE key = ?"
)
_OURS_SQL = "SELECT key FROM deliveries WHERE key = ANY(?) AND owner = ? AND attempts = 0"
_PIECE_BYTES = 64 * 1024

Bodies = Mapping[str, tuple[str, bytes]]


class DeliveryLog:
    """Record new deliveries and mark their outcomes, each write its own short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._direct = db.direct
        deliveries, bodies = cast(Table, DeliveryRow.__table__), cast(Table, BodyRow.__table__)
        # Only the times need converting (strings, bytes and integers go to either driver as
        # they are); a datetime for SQLite costs ~4 µs, so each batch converts its few once.
        self._times = self._direct.converter(deliveries, ("created_at", "next_attempt_at"))
        self._body_time = self._direct.converter(bodies, ("created_at",))
        self._mark = self._direct.converter(deliveries, _MARK_COLUMNS)

    async def record(
        self,
        jobs: Sequence[Job],
        bodies: Bodies,
        *,
        stored: set[str],
        owner: int,
        lease: timedelta = HOT_LEASE,
        held: Mapping[str, datetime] | None = None,
    ) -> list[Job]:
        """Store the jobs whose keys are not `stored` as `owner`'s; return those it now holds.

        A job whose key is in `held` is due only at that time (a contact's quiet hours): no
        scan takes it before, even once its owner is gone.

        On SQLite the rows go a few dozen kilobytes a transaction: a send mark shares the
        connection and waits behind one piece at most, never behind a whole chunk of personal
        bodies (20 ms under load). On PostgreSQL the marks commit on a connection of their
        own, so a chunk goes as one transaction, which also reads back the keys that came out
        `owner`'s: a replica may store the same keys at the same moment (the insert ignores
        conflicts), and SQLite has but one process. A crash between pieces leaves the message
        unclaimed; its redelivery skips the keys stored.
        """
        fresh = [job for job in jobs if job.key not in stored]
        sqlite = self._db.is_sqlite
        ours: set[str] = set()
        for piece, piece_bodies in _pieces(fresh, bodies, _PIECE_BYTES if sqlite else None):
            rows = self._new_rows(piece, piece_bodies, owner=owner, lease=lease, held=held or {})
            then = None if sqlite else (_OURS_SQL, ([job.key for job in piece], owner))
            ours.update(key for (key,) in await self._direct.write(rows, then=then))
        return fresh if sqlite else [job for job in fresh if job.key in ours]

    async def mark(self, outcomes: Sequence[Attempt], messages: Sequence[Message]) -> None:
        """Store the outcomes of sends and the messages they publish, as one transaction."""
        await self._db.direct_marks.write(
            [
                (_MARK_SQL, self._outcome_rows(outcomes)),
                (OUTBOX_SQL, outbox_rows(self._direct, messages)),
            ]
        )

    def _new_rows(
        self,
        jobs: Sequence[Job],
        bodies: Bodies,
        *,
        owner: int,
        lease: timedelta,
        held: Mapping[str, datetime],
    ) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """The bodies and deliveries rows of new jobs, converted for the driver."""
        now = utcnow()
        at, due = self._times((now, now + lease))
        # Held rows are few (a contact's quiet hours): each converted on its own.
        until = {key: self._times((now, moment))[1] for key, moment in held.items()}
        (body_at,) = self._body_time((now,))
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

    def _outcome_rows(self, outcomes: Sequence[Attempt]) -> list[tuple[Any, ...]]:
        """The rows of `_MARK_SQL`: a sent mail's times are the batch's (the commit's)."""
        convert = self._mark
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


def _pieces(
    jobs: Sequence[Job], bodies: Bodies, max_bytes: int | None
) -> Iterator[tuple[list[Job], dict[str, Any]]]:
    """Split jobs into pieces of about `max_bytes` (None: one piece), each with the bodies it
    first uses."""
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
        if max_bytes is not None and size >= max_bytes:
            yield piece, piece_bodies
            piece, piece_bodies, size = [], {}, 0
    if piece:
        yield piece, piece_bodies
