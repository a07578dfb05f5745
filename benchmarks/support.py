"""What several benchmarks share: the ingester in-process, generated feeds, a red activation."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas.activations import Activation
from services.common.settings import Settings
from services.runtime.scenario import ScenarioEvent, gdacs_rss, red_earthquake

REPO = Path(__file__).resolve().parents[1]
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
