"""Fixtures shared by every tier: the embedded broker, databases on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.common.db import Database
from services.runtime.embedded import EmbeddedBroker, free_port

__all__ = ["PG_URL", "EmbeddedBroker", "free_port", "postgres_available"]

REAL_CAPTURES = Path(__file__).resolve().parent / "fixtures"
PG_URL = os.environ.get("PG_TEST_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


_E2E = Path(__file__).resolve().parent / "e2e"


# Whole-system tests that time recoveries and lags: one after another on one worker, so no
# other system's start-up is measured with them.
_TIMED = frozenset(
    {"test_chaos.py", "test_observability.py", "test_runtime.py", "test_supervisor_faults.py"}
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the whole-system tests in two queues, each on one xdist worker, one after another.

    Each starts `standby run` (a broker and six services) or a service with a browser; the
    ones that time recoveries and lags run in turn on one worker, the pages and flows in turn on
    the other, so at most two systems share the two cores. The rest of the suite, mostly
    waiting on brokers, servers and databases, fills in beside them.

    First among the hooks: xdist's worker reads the mark in its own hook, which otherwise
    runs before this one, before the mark is there, and groups nothing (pyproject pins pytest
    below 9.2 for the same grouping).
    """
    for item in items:
        if item.path.resolve().is_relative_to(_E2E):
            queue = "timed" if item.path.name in _TIMED else "flows"
            item.add_marker(pytest.mark.xdist_group(queue))


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def real_captures() -> Path:
    """The real feed captures in tests/fixtures (provenance in its PROVENANCE.md)."""
    return REAL_CAPTURES


@pytest.fixture(scope="module")
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """An embedded broker per test module (it starts in milliseconds), every topic created.

    One per module keeps modules from reading each other's messages off shared topics.
    """
    from schemas.topics import ALL_TOPICS
    from services.common.kafka_admin import ensure_topics, wait_for_broker

    broker = EmbeddedBroker()

    async def prepare() -> None:
        await wait_for_broker(broker.bootstrap, timeout_s=30)
        await ensure_topics(broker.bootstrap, ALL_TOPICS)

    asyncio.run(prepare())
    yield broker
    broker.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of a throwaway service `test`, on SQLite and on PostgreSQL."""
    service = getattr(request, "param_service", None) or getattr(
        request.module, "SERVICE", "common"
    )
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", service)
    else:
        if not postgres_available():
            pytest.skip("PostgreSQL is not answering at 127.0.0.1:5432 (database test)")
        db = Database(PG_URL, service, schema=f"t_{service}_{uuid.uuid4().hex[:10]}")
    await db.migrate()
    try:
        yield db
    finally:
        await db.drop_schema()
        await db.dispose()
