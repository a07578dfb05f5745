"""The ingester service on the embedded broker: publish once, restart quietly, publish a new episode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from schemas.hazards import HazardEvent
from schemas.topics import HAZARDS
from services.common.service import serving
from services.common.settings import IngesterSettings, KafkaSettings, Settings
from services.ingester.main import setup
from tests.conftest import EmbeddedBroker
from tests.integration.ingester.feed_server import feed_server
from tests.messages import tail
from tests.unit.ingester.corpus import good_rss

pytestmark = pytest.mark.broker

EVENT_ID = 31_337_001
SOURCE_ID = f"EQ:{EVENT_ID}"


def polls_ok() -> float:
    """Count the polls that reached the feed (an unchanged document is one too)."""
    return sum(
        REGISTRY.get_sample_value(
            "standby_source_polls_total", {"source": "gdacs", "outcome": outcome}
        )
        or 0.0
        for outcome in ("ok", "not_modified")
    )


async def until(condition: Callable[[], bool], *, timeout_s: float = 20) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


def fed_settings(var_dir: Path, bootstrap: str, feed_url: str) -> Settings:
    """The ingester on the embedded broker, polling only the local GDACS feed, fast."""
    return Settings(
        var_dir=var_dir,
        kafka=KafkaSettings(bootstrap_servers=bootstrap),
        ingester=IngesterSettings(
            metrics_port=0,
            gdacs_rss_url=feed_url,
            gdacs_rss_interval_s=0.05,
            usgs_url=None,
            usgs_safety_net_url=None,
        ),
    )


@asynccontextmanager
async def ingester(settings: Settings) -> AsyncIterator[None]:
    """Run the ingester service (a fresh context on the same database) until the block ends."""
    async with serving("ingester", settings, setup):
        yield


class Hazards:
    """Everything published on hazards.v1 about our event, read from the end of the topic on."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: list[HazardEvent] = []

    async def __aenter__(self) -> Hazards:
        self.consumer = await tail(self.bootstrap, HAZARDS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def drain(self, seconds: float = 0.3) -> list[HazardEvent]:
        batches = await self.consumer.getmany(timeout_ms=int(seconds * 1000))
        for records in batches.values():
            for record in records:
                event = HazardEvent.model_validate_json(record.value)
                if event.source_id == SOURCE_ID:
                    assert record.key == f"gdacs:{SOURCE_ID}".encode()
                    self.seen.append(event)
        return self.seen

    async def wait_for(self, count: int, timeout_s: float = 20) -> list[HazardEvent]:
        async with asyncio.timeout(timeout_s):
            while len(await self.drain(0.1)) < count:
                pass
        return self.seen


async def test_the_service_publishes_an_event_once_across_a_restart_and_again_for_a_new_episode(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    with feed_server() as server:
        server.serve(good_rss(EVENT_ID, episode_id=1))
        settings = fed_settings(tmp_path, embedded_broker.bootstrap, server.url)
        async with Hazards(embedded_broker.bootstrap) as hazards:
            async with ingester(settings):
                (first,) = await hazards.wait_for(1)
                polled = polls_ok()
                await until(lambda: polls_ok() >= polled + 5)
                assert len(await hazards.drain()) == 1
            assert (first.version, first.alert_level) == ("1", "red")

            async with ingester(settings):
                polled = polls_ok()
                await until(lambda: polls_ok() >= polled + 5)
                assert len(await hazards.drain()) == 1, "a restart re-published nothing"

                server.serve(good_rss(EVENT_ID, episode_id=2))
                _, second = await hazards.wait_for(2)
                polled = polls_ok()
                await until(lambda: polls_ok() >= polled + 5)
                assert len(await hazards.drain()) == 2
            assert second.version == "2"
