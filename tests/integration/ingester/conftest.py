"""Fixtures shared by the ingester's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.common.db import Database
from services.common.service import ServiceContext, build_context
from services.common.settings import Settings


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[ServiceContext]:
    """The ingester's context on a migrated SQLite database of the test's own."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ingester.db'}", "ingester")
    await db.migrate()
    yield build_context("ingester", Settings(), db=db)
    await db.dispose()
