"""A database connection of its own for a hot write path, driven through the driver directly.

A transaction through SQLAlchemy's session costs ~0.6 ms of CPU (session, pool checkout and
reset, greenlet hops); the same commit on the driver's connection ~0.1 ms. A writer that
commits every few milliseconds (the notifier's send marks) would otherwise spend a core's
tenth on bookkeeping. Statements are written with `?` placeholders and adapted to the
driver; values are converted by the columns' own SQLAlchemy types, so rows read back as if
SQLAlchemy had written them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database

_MARK = re.compile(r"\?")


class DirectConnection:
    """One connection, kept open, on which whole batches are written and committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    @property
    def dialect(self) -> str:
        return self.db.engine.dialect.name

    def converter(
        self, table: Table, columns: Sequence[str]
    ) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
        """Return a function turning a row of Python values into the driver's values."""
        dialect = self.db.engine.dialect
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]

        def convert(row: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )

        return convert

    async def write(self, statements: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
        """Run each statement over its rows (executemany) and commit them as one transaction."""
        try:
            driver = await self._open()
            if self.dialect == "postgresql":
                async with driver.transaction():
                    for sql, rows in statements:
                        if rows:
                            await driver.executemany(_numbered(sql), rows)
            else:
                try:
                    for sql, rows in statements:
                        if rows:
                            await driver.executemany(sql, rows)
                    await driver.commit()
                except BaseException:
                    await driver.rollback()
                    raise
        except BaseException:
            # A broken connection is replaced on the next write rather than reused.
            await self.close()
            raise

    async def close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            try:
                await conn.invalidate()
            finally:
                await conn.close()

    async def _open(self) -> Any:
        if self._driver is None:
            self._conn = await self.db.engine.connect()
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver


def _numbered(sql: str) -> str:
    count = iter(range(1, sql.count("?") + 1))
    return _MARK.sub(lambda _: f"${next(count)}", sql)
