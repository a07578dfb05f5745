"""Which processes of a service are alive, so a survivor can take over a dead one's work.

On PostgreSQL each process holds a session advisory lock numbered with its id on a
connection of its own. The server drops the lock the moment the process dies (the socket
closes), so "owned by a process that no longer holds its lock" means orphaned, at once and
without heartbeats or clocks. On SQLite a service runs as one process: every id but this
process's own is a previous, dead, process.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from services.common.db import Database
from services.common.logs import get_logger

log = get_logger(__name__)

# The lock's first key is derived from the schema, so deployments sharing a database
# (and tests in throwaway schemas) never see each other's processes.
_KEY = "hashtext(current_schema() || '.presence')"
_LIVE = (
    "locktype = 'advisory' AND objsubid = 2 AND granted"
    f" AND classid = ({_KEY})::bit(32)::bigint::oid"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_CHECK_EVERY_S = 5.0


class ProcessPresence:
    """This process's id among the processes sharing one service database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = secrets.randbelow(2**31 - 2) + 1
        # Set once the lock is held: work recorded under this id before would look orphaned.
        self.ready = asyncio.Event()
        self._conn: AsyncConnection | None = None

    async def start(self) -> None:
        """Announce this process (PostgreSQL; on SQLite there is nothing to announce)."""
        if self.db.is_sqlite:
            self.ready.set()
            return
        await self._hold()
        self.ready.set()
        log.info("process_present", service=self.db.service, process_id=self.id)

    async def run(self) -> None:
        """Keep the lock held: take it again if its connection was lost (until cancelled)."""
        if self.db.is_sqlite:
            return
        while True:
            await asyncio.sleep(_CHECK_EVERY_S)
            try:
                assert self._conn is not None
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()  # never left idle in a transaction
            except Exception as err:
                # While the lock was away, a peer may have taken over this process's work;
                # that work is then sent twice at worst, never lost.
                log.warning("presence_lost", process_id=self.id, error=str(err))
                await self._release()
                with contextlib.suppress(Exception):
                    await self._hold()

    async def stop(self) -> None:
        await self._release()

    def orphaned(
        self, owner: ColumnElement[Any] | InstrumentedAttribute[Any]
    ) -> ColumnElement[bool]:
        """A condition: the row's owner is no process that is alive now."""
        if self.db.is_sqlite:
            return or_(owner.is_(None), owner != self.id)
        live: Select[int] = (
            select(literal_column("objid::bigint", BigInteger))
            .select_from(text("pg_locks"))
            .where(text(_LIVE))
        )
        return or_(owner.is_(None), owner.not_in(live))

    async def _hold(self) -> None:
        self._conn = await self.db.engine.connect()
        await self._conn.execute(text(f"SELECT pg_advisory_lock({_KEY}, {self.id})"))
        # Committed, so the connection does not sit "idle in transaction"; the lock is the
        # session's and outlives the transaction.
        await self._conn.commit()

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Invalidated, not returned to the pool: a pooled connection would keep the lock.
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()
