"""What several benchmarks share: the ingester in-process, generated feeds, a red activation."""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.activations import Activation
from services.common.settings import Settings
from services.runtime.scenario import ScenarioEvent, gdacs_rss, red_earthquake

REPO = Path(__file__).resolve().parents[1]
# The production path: every service on PostgreSQL, each in a schema of its own.
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@asynccontextmanager
async def ingester(settings: Settings) -> AsyncIterator[None]:
    """Run the ingester service in this process until the block ends."""
    from services.common.service import serving
    from services.ingester.main import setup

    async with serving("ingester", settings, setup):
        yield


def earthquakes(first_id: int, count: int, *, alert: str = "Red") -> list[ScenarioEvent]:
    """`count` distinct earthquakes in GDACS's element set, one a minute."""
    return [
        dataclasses.replace(
            red_earthquake(first_id + i, _T0 + timedelta(minutes=i)), alert_level=alert
        )
        for i in range(count)
    ]


def feed(events: list[ScenarioEvent]) -> bytes:
    return gdacs_rss(events)


def red_activation() -> Activation:
    """The activation triage makes of a red earthquake, through the shipped criteria."""
    from services.ingester.sources import parse_document
    from services.triage.backtest import replay
    from services.triage.criteria import load_criteria

    reports = parse_document(gdacs_rss(earthquakes(8_000_001, 1)))
    outcomes = replay(reports, load_criteria(REPO / "deploy" / "criteria.yaml"))
    found = [o.activation for o in outcomes if o.activation is not None]
    if not found:
        raise RuntimeError("the shipped criteria did not activate on a red earthquake")
    return found[-1]


def backends() -> list[str]:
    """The databases to run on: SQLite, and PostgreSQL when it answers (said when it does not)."""
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2).close()
    except OSError as err:
        print(f"PostgreSQL at {url.host}:{url.port} does not answer ({err}): SQLite only")
        return ["sqlite"]
    return ["sqlite", "postgresql"]


@asynccontextmanager
async def on_backend(backend: str) -> AsyncIterator[dict[str, Any]]:
    """The settings that put every service on `backend`; PostgreSQL schemas dropped after."""
    if backend == "sqlite":
        yield {}
        return
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    try:
        yield {"database_url": POSTGRES_URL, "database_schema_prefix": prefix}
    finally:
        await drop_schemas(prefix)


async def drop_schemas(prefix: str) -> None:
    """Drop every service's PostgreSQL schema under `prefix`."""
    from services.common.db import Database
    from services.common.settings import SERVICES

    for service in SERVICES:
        db = Database(POSTGRES_URL, service, schema=f"{prefix}{service}")
        try:
            await db.drop_schema()
        finally:
            await db.dispose()
