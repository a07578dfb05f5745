"""What every SQLite connection of a service is opened with, through SQLAlchemy or not."""

from __future__ import annotations

from typing import Any

# How long a writer waits for another connection's write lock before it fails.
SQLITE_BUSY_TIMEOUT_S = 30


def sqlite_pragmas(dbapi_connection: Any, _: Any = None) -> None:
    """Set the journal and sync modes and foreign keys on a new connection."""
    # WAL lets the console read while the consumer writes; NORMAL sync is durable across
    # process crashes, which is the failure this project guards against.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
