"""A database connection of its own for a hot write path, driven through the driver directly.

A transaction through SQLAlchemy's session costs ~0.6 ms of CPU (session, pool checkout and
reset, greenlet hops); the same commit on the driver's connection ~0.1 ms. A writer that
commits every few milliseconds (the notifier's send marks) would otherwise spend a core's
tenth on bookkeeping. Statements are written with `?` placeholders and adapted to the
driver; values are converted by the columns' own SQLAlchemy types, so rows read back as if
SQLAlchemy had written them. Two writers use it, in turn: the notifier's delivery log
(`services/notifier/delivery_log.py`) and the outbox relay's "published" marks on SQLite.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.sqlite_setup import SQLITE_BUSY_TIMEOUT_S, sqlite_pragmas

_MARK = re.compile(r"\?")


class DirectConnection:
    """One connection, kept open, on which whole batches are written and committed.

    Writes go one at a time, in the order they were asked for. On SQLite a write is a single
    call into a thread of its own (BEGIN IMMEDIATE, the statements, COMMIT), so the file's
    write lock is held for the ~1 ms the statements take, never across trips through a busy
    event loop: through the async driver every statement was a trip, and another writer
    waited out all of them (in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms).
    """

    def __init__(self, engine: AsyncEngine, sqlite_path: str | None) -> None:
        # `sqlite_path` names the database file (None: the engine's is PostgreSQL).
        self.engine = engine
        self.sqlite_path = sqlite_path
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._sqlite: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._turn = asyncio.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def converter(
        self, table: Table, columns: Sequence[str]
    ) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
        """Return a function turning a row of Python values into the driver's values."""
        dialect = self.engine.dialect
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]

        def convert(row: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )

        return convert

    async def write(
        self,
        statements: Sequence[tuple[str, Sequence[tuple[Any, ...]]]],
        *,
        then: tuple[str, Sequence[Any]] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run each statement over its rows (executemany) and commit them as one transaction;
        with `then`, a query run last in the same transaction, whose rows are returned."""
        async with self._turn:
            try:
                if self.sqlite_path is not None:
                    if self._thread is None:
                        self._thread = ThreadPoolExecutor(1, thread_name_prefix="direct-sqlite")
                    return await asyncio.get_running_loop().run_in_executor(
                        self._thread, self._write_sqlite, statements, then
                    )
                driver = await self._open()
                async with driver.transaction():
                    for sql, rows in statements:
                        if rows:
                            await driver.executemany(_numbered(sql), rows)
                    if then is None:
                        return []
                    query, args = then
                    return [tuple(row) for row in await driver.fetch(_numbered(query), *args)]
            except BaseException:
                # A broken connection is replaced on the next write rather than reused.
                await self.close()
                raise

    def _write_sqlite(
        self,
        statements: Sequence[tuple[str, Sequence[tuple[Any, ...]]]],
        then: tuple[str, Sequence[Any]] | None,
    ) -> list[tuple[Any, ...]]:
        """In the connection's thread: the whole transaction, start to commit."""
        if self._sqlite is None:
            assert self.sqlite_path is not None
            # Transactions are begun and ended here, explicitly (isolation_level=None).
            conn = sqlite3.connect(
                self.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None
            )
            sqlite_pragmas(conn)
            # A checkpoint copies the log into the database file and syncs both: 10-50 ms
            # inside a commit here would hold up the marks queued behind it. The service's
            # transactions through the session checkpoint (past 1,000 pages of log) instead.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._sqlite = conn
        conn = self._sqlite
        # IMMEDIATE takes the write lock first: a deferred start that read, then wrote, could
        # find its snapshot stale and fail instead of waiting.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                if rows:
                    conn.executemany(sql, rows)
            read = [] if then is None else [tuple(row) for row in conn.execute(*then).fetchall()]
            conn.execute("COMMIT")
            return read
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        thread, self._thread = self._thread, None
        if thread is not None:
            # Closed in its own thread, after any write a cancelled caller left running there.
            lite, self._sqlite = self._sqlite, None
            if lite is not None:
                await asyncio.get_running_loop().run_in_executor(thread, lite.close)
            thread.shutdown(wait=False)
        if conn is not None:
            try:
                await conn.invalidate()
            finally:
                await conn.close()

    async def _open(self) -> Any:
        if self._driver is None:
            self._conn = await self.engine.connect()
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver


def _numbered(sql: str) -> str:
    count = iter(range(1, sql.count("?") + 1))
    return _MARK.sub(lambda _: f"${next(count)}", sql)
