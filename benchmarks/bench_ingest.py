"""The ingester's speed, each figure against a baseline measured in the same run.

1. Parse + normalise throughput of GDACS RSS items against raw `feedparser.parse` of the same
   bytes (target ≥ 0.8×): a generated document in GDACS's element set at three sizes and,
   the real 315-item 7-day feed capture in tests/fixtures.
2. Latency from the moment the feed server has sent a document with one new red event to
   the moment the HazardEvent is readable on hazards.v1 (the ingester's share of the
   headline latency), on the embedded broker, against one raw broker hop.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from benchmarks.support import earthquakes, feed
from services.ingester.sources import read_document

_CAPTURE = (
    Path(__file__).resolve().parents[1]
    / "tests/fixtures/gdacs/gdacs_rss7d_whatisc-up25_2022-11-26.xml"
)
_TARGET = 0.8
_FEED = "/xml/rss.xml"


def _seconds(run: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _compare(label: str, data: bytes, items: int, repeats: int) -> float:
    events = len(read_document(data).events)
    if events != items:
        raise SystemExit(f"{label}: read {events} events, expected {items}")
    feedparser.parse(data)  # warm caches and imports
    # Interleaved pairs, so a busy neighbour slows both sides of a pair alike.
    pairs = [
        (_seconds(lambda: feedparser.parse(data)), _seconds(lambda: read_document(data)))
        for _ in range(repeats)
    ]
    ratio = statistics.median(raw / ours for raw, ours in pairs)
    raw = statistics.median(p[0] for p in pairs)
    ours = statistics.median(p[1] for p in pairs)
    print(
        f"{label:<34} {items:>5} items  feedparser {items / raw:>8,.0f} items/s  "
        f"ingester {items / ours:>8,.0f} items/s  ratio {ratio:4.2f}x",
        flush=True,
    )
    return ratio


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _fetch_to_topic(
    background_items: int, events: int = 30
) -> tuple[list[float], list[float]]:
    """Measure served → on hazards.v1 for new events in a feed of `background_items` known ones."""
    import asyncio
    import tempfile

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from benchmarks.support import ingester
    from schemas.hazards import HazardEvent
    from schemas.topics import ALL_TOPICS, HAZARDS
    from services.common.kafka_admin import ensure_topics, wait_for_broker
    from services.common.settings import IngesterSettings, KafkaSettings, Settings
    from services.runtime.embedded import EmbeddedBroker
    from services.runtime.feed_server import FeedServer

    broker = EmbeddedBroker()
    latencies: list[float] = []
    hops: list[float] = []
    try:
        await wait_for_broker(broker.bootstrap, timeout_s=30)
        await ensure_topics(broker.bootstrap, ALL_TOPICS)
        with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
            known = earthquakes(2_000_000, background_items, alert="Green")
            url = server.put(_FEED, feed(known))
            settings = Settings(
                var_dir=Path(tmp),
                kafka=KafkaSettings(bootstrap_servers=broker.bootstrap),
                ingester=IngesterSettings(
                    metrics_port=0, gdacs_rss_url=url, gdacs_rss_interval_s=0.05, usgs_url=None
                ),
            )
            consumer = AIOKafkaConsumer(
                bootstrap_servers=broker.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
            )
            await consumer.start()
            partition = TopicPartition(HAZARDS, 0)
            consumer.assign([partition])
            try:
                async with ingester(settings):
                    await asyncio.sleep(1.0)  # the known items are published and settled
                    await consumer.seek_to_end(partition)
                    for n in range(events):
                        wanted = f"EQ:{3_000_000 + n}"
                        server.put(_FEED, feed(earthquakes(3_000_000 + n, 1) + known))
                        etag = server.etag(_FEED)
                        while True:
                            batch = await consumer.getmany(timeout_ms=1000)
                            records = [r for rs in batch.values() for r in rs]
                            if any(
                                HazardEvent.model_validate_json(r.value).source_id == wanted
                                for r in records
                            ):
                                break
                        # The server notes (wall clock) when it first sent each document.
                        latencies.append((time.time() - server.first_served[etag]) * 1000)
                producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
                await producer.start()
                try:
                    for _ in range(events):
                        started = time.perf_counter()
                        await producer.send_and_wait(HAZARDS, b"{}")
                        await consumer.getmany(timeout_ms=1000)
                        hops.append((time.perf_counter() - started) * 1000)
                finally:
                    await producer.stop()
            finally:
                await consumer.stop()
    finally:
        broker.stop()
    return latencies, hops


def _latency() -> None:
    import asyncio
    import logging

    logging.disable(logging.WARNING)  # the service logs every publication
    for background in (0, 100):
        latencies, hops = asyncio.run(_fetch_to_topic(background))
        hop = statistics.median(hops)
        print(
            f"fetch → hazards.v1, 1 new + {background:>3} known items: "
            f"p50 {statistics.median(latencies):5.1f} ms  p99 {_percentile(latencies, 0.99):5.1f} ms  "
            f"(raw broker hop p50 {hop:4.1f} ms: {statistics.median(latencies) / hop:3.1f}×)",
            flush=True,
        )


def main() -> None:
    ratios: list[float] = []
    for count, repeats in ((10, 30), (100, 10), (1000, 3)):
        document = feed(earthquakes(1_000_000, count))
        ratios.append(
            _compare(f"generated GDACS RSS ({len(document) // 1024} KB)", document, count, repeats)
        )
    if _CAPTURE.is_file():
        ratios.append(_compare("real rss_7d capture (974 KB)", _CAPTURE.read_bytes(), 315, 5))
    else:
        print(f"(real capture not found at {_CAPTURE}; generated documents only)")
    worst = min(ratios)
    verdict = "meets" if worst >= _TARGET else "MISSES"
    print(f"worst ratio {worst:.2f}x: {verdict} the {_TARGET}x target", flush=True)
    _latency()
