"""The direct connection's writes: a write not flushed commits at once, without the disk."""

from __future__ import annotations

from sqlalchemy import select

from services.common.db import Database
from services.common.outbox import kv


async def test_only_a_write_not_flushed_commits_without_waiting_for_the_disk(
    database: Database,
) -> None:
    # Each row keeps the commit setting of the transaction that wrote it (PostgreSQL); SQLite's
    # commits here never wait for the disk, so the setting is not asked there.
    setting = "'n/a'" if database.is_sqlite else "current_setting('synchronous_commit')"
    sql = f"INSERT INTO kv (key, value) VALUES (?, {setting})"
    await database.direct.write([(sql, [("flushed",)])])
    await database.direct.write([(sql, [("not flushed",)])], flush=False)
    await database.direct.write([(sql, [("flushed again",)])])
    async with database.sessions() as session:
        rows = dict((await session.execute(select(kv.c.key, kv.c.value))).tuples().all())
    if database.is_sqlite:
        assert rows == {"flushed": "n/a", "not flushed": "n/a", "flushed again": "n/a"}
    else:
        # SET LOCAL: the setting ends with its transaction, not with the connection.
        assert rows == {"flushed": "on", "not flushed": "off", "flushed again": "on"}
