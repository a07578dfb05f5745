"""Parse + normalise throughput of GDACS RSS items against raw `feedparser.parse` (target ≥ 0.8×).

Both run on the same bytes in the same process: a generated document in GDACS's element set
at three sizes and, when the real captures are present (../shared/fixtures), the 315-item
7-day feed. The ratio is items/s of the ingester's reader over items/s of feedparser alone.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from services.ingester.sources import read_document
from tests.unit.ingester.corpus import rss, rss_item

_CAPTURE = (
    Path(__file__).resolve().parents[2]
    / "shared/fixtures/gdacs/gdacs_rss7d_whatisc-up25_2022-11-26.xml"
)
_TARGET = 0.8


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm caches and imports
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _compare(label: str, data: bytes, items: int, repeats: int) -> float:
    events = len(read_document(data).events)
    if events != items:
        raise SystemExit(f"{label}: read {events} events, expected {items}")
    raw = _median_seconds(lambda: feedparser.parse(data), repeats)
    ours = _median_seconds(lambda: read_document(data), repeats)
    ratio = raw / ours
    print(
        f"{label:<34} {items:>5} items  feedparser {items / raw:>8,.0f} items/s  "
        f"ingester {items / ours:>8,.0f} items/s  ratio {ratio:4.2f}x",
        flush=True,
    )
    return ratio


def main() -> None:
    ratios: list[float] = []
    for count, repeats in ((10, 30), (100, 10), (1000, 3)):
        document = rss(*(rss_item(1_000_000 + i) for i in range(count)))
        ratios.append(
            _compare(f"generated GDACS RSS ({len(document) // 1024} KB)", document, count, repeats)
        )
    if _CAPTURE.is_file():
        ratios.append(_compare("real rss_7d capture (974 KB)", _CAPTURE.read_bytes(), 315, 5))
    else:
        print(f"(real capture not found at {_CAPTURE}; generated documents only)")
    worst = min(ratios)
    verdict = "meets" if worst >= _TARGET else "MISSES"
    print(f"worst ratio {worst:.2f}x: {verdict} the {_TARGET}x target")
