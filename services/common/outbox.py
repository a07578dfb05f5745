"""Inbox and outbox: idempotent consume and publish-after-commit.

A handler records the id of the message it consumed (inbox) and the messages it wants to
publish (outbox) in the same transaction as its state change. A relay then publishes the
outbox to the broker. A crash anywhere loses nothing: an unrelayed row is relayed after the
restart, and a redelivered message finds its id in the inbox and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import Message, utcnow
from services.common import metrics
from services.common.db import Database, Transaction, insert_many, upsert
from services.common.direct import DirectConnection
from services.common.logs import get_logger
from services.common.wakeup import WakeUpLoop

log = get_logger(__name__)

metadata = MetaData()

inbox = Table(
    "inbox",
    metadata,
    Column("message_id", String(36), primary_key=True),
    Column("topic", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(500)),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
)
kv = Table(
    "kv",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

Publish = Callable[[bytes, str, bytes | None], Awaitable[None]]


async def claim(session: AsyncSession, message_id: UUID, topic: str) -> bool:
    """Record a consumed message; return False when it was processed before."""
    stmt = (
        upsert(session, inbox)
        .values(message_id=str(message_id), topic=topic, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["message_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def seen(session: AsyncSession, message_id: UUID) -> bool:
    """Say whether a message was processed before (without claiming it)."""
    found = await session.execute(
        select(inbox.c.message_id).where(inbox.c.message_id == str(message_id))
    )
    return found.first() is not None


async def enqueue(session: AsyncSession, *messages: Message, key: str | None = None) -> None:
    """Add messages to the outbox, inside the caller's transaction."""
    if not messages:
        return
    now = utcnow()
    await insert_many(
        session,
        outbox,
        [
            {
                "message_id": str(m.id),
                "topic": m.topic,
                "key": key,
                "payload": m.model_dump_json().encode(),
                "created_at": now,
            }
            for m in messages
        ],
    )


OUTBOX_SQL = (
    "INSERT INTO outbox (message_id, topic, key, payload, created_at) VALUES (?, ?, ?, ?, ?)"
)


def outbox_rows(
    direct: DirectConnection, messages: Sequence[Message], key: str | None = None
) -> list[tuple[Any, ...]]:
    """Turn messages into the rows of `OUTBOX_SQL`, for a batch written on a direct connection."""
    (created_at,) = direct.converter(outbox, ("created_at",))((utcnow(),))
    return [(str(m.id), m.topic, key, m.model_dump_json().encode(), created_at) for m in messages]


async def kv_get(session: AsyncSession, key: str) -> str | None:
    return (await session.execute(select(kv.c.value).where(kv.c.key == key))).scalar_one_or_none()


async def kv_set(session: AsyncSession, key: str, value: str) -> None:
    await session.execute(delete(kv).where(kv.c.key == key))
    await session.execute(kv.insert().values(key=key, value=value))


@dataclass(eq=False)
class OutboxRelay:
    """Publish committed outbox rows to the broker, in order, at least once."""

    db: Database
    publish: Publish
    _: KW_ONLY
    epoch: str = ""
    replay_window: timedelta = timedelta(hours=6)
    batch_size: int = 500
    idle_interval_s: float = 1.0
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _stopping: bool = field(default=False, init=False, repr=False)
    _loop: WakeUpLoop = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._loop = WakeUpLoop(
            self._round,
            failed="outbox_relay_failed",
            retry_s=self.idle_interval_s,
            until=lambda: self._stopping,
        )

    def kick(self) -> None:
        """Wake the relay: a transaction with outbox rows just committed."""
        self._loop.kick()

    async def start(self) -> None:
        await self._recover_after_broker_restart()
        self._stopping = False
        self._task = asyncio.create_task(self._loop.run(), name="outbox-relay")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let the batch in progress finish, then relay what is left once more."""
        if self._task is not None:
            # Cancelling mid-batch would publish rows without marking them, and the final
            # pass below would publish them again: ask the loop to end between batches.
            self._stopping = True
            self._loop.kick()
            try:
                await asyncio.wait_for(self._task, grace_s)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        # Last chance to hand over what is committed; a failure leaves rows for next start.
        with contextlib.suppress(Exception):
            await self.relay_once()

    async def _recover_after_broker_restart(self) -> None:
        """Mark recently relayed rows unpublished when the broker is a new (empty) one."""
        if not self.epoch:
            return
        async with self.db.transaction() as session:
            previous = await kv_get(session, "broker_epoch")
            if previous is not None and previous != self.epoch:
                since = utcnow() - self.replay_window
                result = await session.execute(
                    update(outbox)
                    .where(outbox.c.published_at.is_not(None), outbox.c.published_at >= since)
                    .values(published_at=None)
                )
                log.warning(
                    "broker_restarted_replaying_outbox",
                    rows=result.rowcount,  # type: ignore[attr-defined]
                    previous_epoch=previous,
                    epoch=self.epoch,
                )
            await kv_set(session, "broker_epoch", self.epoch)

    async def _round(self) -> float:
        """Relay one batch; go again at once while batches come full."""
        try:
            relayed = await self.relay_once()
        except Exception as err:
            log.warning("outbox_relay_failed", error=str(err))
            relayed = 0
            await asyncio.sleep(min(self.idle_interval_s, 1.0))
        return 0 if relayed >= self.batch_size else self.idle_interval_s

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        if self.db.is_sqlite:
            return await self._relay_batch(None)
        # Replicas share the outbox: one relays at a time, so no row is published twice and
        # the order holds. The lock is the transaction's; a killed holder's dies with it.
        async with self.db.transaction() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.outbox'))")
            )
            return await self._relay_batch(session)

    async def _relay_batch(self, locked: AsyncSession | None) -> int:
        async with _within(locked, self.db.sessions) as session:
            rows: Sequence[Any] = (
                await session.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            metrics.OUTBOX_DEPTH.set(0)
            return 0
        # Sends are issued together so the producer batches them; order per partition holds
        # because the producer appends in call order.
        await asyncio.gather(
            *(
                self.publish(payload, topic, key.encode() if key else None)
                for _, topic, key, payload in rows
            )
        )
        now = utcnow()
        published = [r[0] for r in rows]
        if locked is None:
            await self._mark_published_on_sqlite(published, now)
        else:
            # Relayed rows are deleted by the retention schedule, off this path.
            await locked.execute(
                update(outbox).where(outbox.c.id.in_(published)).values(published_at=now)
            )
        async with _within(locked, self.db.sessions) as session:
            depth = (
                await session.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            ).scalar_one()
        metrics.OUTBOX_DEPTH.set(depth)
        for _, topic, _, _ in rows:
            metrics.OUTBOX_PUBLISHED.labels(topic).inc()
        return len(rows)

    async def _mark_published_on_sqlite(self, ids: list[int], now: datetime) -> None:
        """Mark rows published, in one short transaction.

        On the direct connection, in turn with the other hot writes: a transaction through
        the session held the file's write lock across trips through a busy event loop (up to
        100 ms under a fan-out), and the notifier's send marks waited for it.
        """
        direct = self.db.direct
        (at,) = direct.converter(outbox, ("published_at",))((now,))
        await direct.write(
            [("UPDATE outbox SET published_at = ? WHERE id = ?", [(at, i) for i in ids])]
        )


@asynccontextmanager
async def _within(
    session: AsyncSession | None,
    factory: Transaction,
) -> AsyncIterator[AsyncSession]:
    """Use the caller's session (its transaction and locks) if there is one, else a new one."""
    if session is not None:
        yield session
        return
    async with factory() as own:
        yield own
