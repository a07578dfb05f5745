"""The one database layer: an async engine and session factory per service, migrated by Alembic.

SQLite (a file per service under `var/`) by default; PostgreSQL when `STANDBY_DATABASE_URL`
names one, each service then keeping its tables in a schema of its own name.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.common.direct import DirectConnection
from services.common.logs import configure_logging, get_logger, logging_setup
from services.common.migration_heads import script_heads
from services.common.sqlite_setup import SQLITE_BUSY_TIMEOUT_S, sqlite_pragmas

log = get_logger(__name__)

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# What a unit of work or a store is handed to open a transaction: `Database.transaction`.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class MigrationError(RuntimeError):
    """The schema could not be brought to the newest revision; the service must not start."""


class Database:
    """An engine, its session factory, and the migrations of one service."""

    def __init__(self, url: str, service: str, *, schema: str | None = None) -> None:
        self.url = url
        self.service = service
        self.is_sqlite = url.startswith("sqlite")
        self.schema = None if self.is_sqlite else (schema or service)
        if self.schema is not None and not _SCHEMA_NAME.match(self.schema):
            raise ValueError(f"invalid schema name {self.schema!r}")
        connect_args: dict[str, Any] = {}
        self.sqlite_path: str | None = None
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.sqlite_path = path
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
        else:
            connect_args["server_settings"] = {"search_path": self.schema}
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.migrated = False
        # The hot write paths (the notifier's delivery log, the outbox relay's marks) commit on
        # this one connection, in turn; on PostgreSQL the notifier's send marks commit on one of
        # their own, beside the deliveries being recorded (SQLite's file takes one writer at a
        # time whatever the connections).
        self.direct = DirectConnection(self.engine, self.sqlite_path)
        self.direct_marks = self.direct if self.is_sqlite else DirectConnection(self.engine, None)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Open a session inside one transaction; commit on success, roll back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """Open a session for reads that all see the database as of one moment.

        Two reads of one state (a roll-call's row and its answers) must not straddle another
        connection's commit, or they pair its new rows with the old state of a row it also
        changed. PostgreSQL's default (read committed) takes a snapshot per statement: repeatable
        read keeps one for the transaction. The SQLite driver begins a transaction only before a
        write, so each read stood alone: an explicit BEGIN holds one read snapshot (WAL) until
        the end.
        """
        async with self.sessions() as session, session.begin():
            if self.is_sqlite:
                await session.execute(text("BEGIN"))
            else:
                await session.connection(
                    execution_options={
                        "isolation_level": "REPEATABLE READ",
                        "postgresql_readonly": True,
                    }
                )
            yield session

    async def migrate(self) -> None:
        """Bring the service's tables to the newest revision, in this process."""
        if self.migrated:
            return
        from services.common.migrate import upgrade

        async with self.engine.begin() as conn:
            if self.schema is not None:
                # Replicas start together: one migrates, the other waits and finds it done.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                    {"name": f"{self.schema}.migrate"},
                )
                await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.run_sync(upgrade, self.service)
        self.migrated = True
        log.info("database_migrated", service=self.service, schema=self.schema)

    async def migrate_in_child(self) -> None:
        """Migrate from a short-lived child process, so this one never loads Alembic."""
        if self.migrated:
            return
        if await self.at_head():
            # A restart: nothing to migrate, and no second interpreter to wait for.
            self.migrated = True
            log.info("database_current", service=self.service, schema=self.schema)
            return
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.common.db", stdin=asyncio.subprocess.PIPE
        )
        # The child logs into the same file as this process, in the same format.
        job = {
            "url": self.url,
            "service": self.service,
            "schema": self.schema,
            "logging": logging_setup(),
        }
        try:
            await child.communicate(json.dumps(job).encode())
        except asyncio.CancelledError:
            # A stop during the start: the child must not outlive the service.
            child.kill()
            await child.wait()
            raise
        if child.returncode != 0:
            raise MigrationError(f"migrating {self.service} failed (exit {child.returncode})")
        self.migrated = True  # the child said so in the log

    async def at_head(self) -> bool:
        """Whether the database holds exactly the newest revisions of the service's migrations."""
        heads = script_heads(self.service)
        if heads is None or self._no_file_yet():
            return False
        try:
            async with self.engine.connect() as conn:
                rows = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                current = {str(row[0]) for row in rows}
        except Exception:  # no table yet, no schema yet: the child finds out and migrates
            return False
        return current == heads

    def _no_file_yet(self) -> bool:
        # Connecting would create an empty SQLite file; the migrating child makes it instead.
        return self.sqlite_path is not None and not Path(self.sqlite_path).exists()

    async def drop_schema(self) -> None:
        """Drop the service's PostgreSQL schema (tests use a throwaway schema each)."""
        if self.schema is not None:
            async with self.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    async def dispose(self) -> None:
        await self.direct.close()
        await self.direct_marks.close()
        await self.engine.dispose()


async def insert_many(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Insert rows (all with the same columns) in one driver-level executemany.

    SQLAlchemy's own executemany spends ~25 µs a row in Python; this converts each value
    with its column's bind processor and hands plain tuples to the driver (~3 µs a row),
    inside the caller's transaction (the unit of work's outbox rows).
    """
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    quote = dialect.identifier_preparer.quote
    if dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in names)
    elif dialect.paramstyle == "numeric_dollar":
        marks = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    else:
        raise NotImplementedError(f"paramstyle {dialect.paramstyle} is not supported")
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES ({marks})"
    await conn.exec_driver_sql(
        sql,
        [
            tuple(
                value if process is None else process(value)
                for process, value in zip(processors, (row[n] for n in names), strict=True)
            )
            for row in rows
        ],
    )


def upsert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the session's dialect (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _migrate_from_stdin() -> None:
    # The child of `Database.migrate_in_child`. The URL may carry a password: it comes on
    # stdin, never on the command line.
    job = json.load(sys.stdin)
    if job.get("logging"):
        configure_logging(**job["logging"])
    db = Database(job["url"], job["service"], schema=job["schema"])

    async def run() -> None:
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    _migrate_from_stdin()
