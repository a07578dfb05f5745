"""A service whose group join the broker fails goes on in its process: it tries again."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker

from services.common import service
from tests.conftest import EmbeddedBroker
from tests.integration.ingester.feed_server import feed_server
from tests.integration.ingester.test_service import EVENT_ID, Hazards, fed_settings, ingester
from tests.unit.ingester.corpus import good_rss

pytestmark = pytest.mark.broker


async def test_a_join_the_broker_fails_is_tried_again_in_the_same_process(
    embedded_broker: EmbeddedBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    joins: list[KafkaBroker] = []
    real_join = service.start_consumers

    async def fails_first(broker: KafkaBroker) -> None:
        # The broker died mid-join (what aiokafka raises then): the first join fails.
        joins.append(broker)
        if len(joins) == 1:
            raise KafkaConnectionError("Connection at 127.0.0.1 closed")
        await real_join(broker)

    monkeypatch.setattr(service, "start_consumers", fails_first)
    with feed_server() as server:
        server.serve(good_rss(EVENT_ID, episode_id=1))
        settings = fed_settings(tmp_path, embedded_broker.bootstrap, server.url)
        async with Hazards(embedded_broker.bootstrap) as hazards, ingester(settings):
            (event,) = await hazards.wait_for(1)
    assert event.alert_level == "red"
    # Joined again with new clients: the failed ones are closed, never reused.
    assert len(joins) == 2 and joins[0] is not joins[1]
