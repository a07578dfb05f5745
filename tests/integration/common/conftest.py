"""Databases of several services side by side, on SQLite or on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.common.db import Database
from tests.conftest import PG_URL, postgres_available


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[dict[str, Database]]:
    """Migrated databases of every service, on SQLite or on PostgreSQL."""
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("PostgreSQL is not answering at 127.0.0.1:5432 (database test)")
    run = uuid.uuid4().hex[:8]
    dbs = {
        name: (
            Database(f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}", name)
            if request.param == "sqlite"
            else Database(PG_URL, name, schema=f"t_svc_{name}_{run}")
        )
        for name in ("ingester", "triage", "notifier", "duty", "response")
    }
    for db in dbs.values():
        await db.migrate()
    try:
        yield dbs
    finally:
        for db in dbs.values():
            await db.drop_schema()
            await db.dispose()
