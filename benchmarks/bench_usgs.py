"""USGS parse + normalise per feature, as a ratio to plain `json.loads` + pydantic validation
of the same document (target ≥ 0.8×).

The documents are the real captures in tests/fixtures/usgs (two `all_day` summaries, the
significant month, the western-US FDSN answer; 864 features). The baseline decodes each with
`json.loads` and validates it against a plain pydantic model of USGS's GeoJSON (every
property typed, nothing normalised): the least a reader of the feed does. Ours is the
ingester's `read_document`: recognise, decode, normalise each feature to a HazardEvent
(ids, PAGER, repairs) and place it in a country. Times are CPU seconds of this process.

Two figures: a document read afresh (every feature normalised and placed), and a document
read again by a poller (its memo: a feature whose `updated` has not moved is the event read
last time), which is what the ingester does every minute.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from services.ingester.sources import ItemMemo, read_document

_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "usgs"
_DOCUMENTS = (
    "usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json",
    "usgs_summary_all-day_2025-05-04T1423Z_Sudo-Ivan-usgs-data.json",
    "usgs_summary_significant-month_2023-10-11_NaseemaO-Leaflet-Earthquakes-dashboard.json",
    "usgs_fdsn_westernUS-M4.5-2010-2020_2020-08-24_mjdanielson-graduated-points-data.json",
)
_TARGET = 0.8
_REPEATS = 7


class _Properties(BaseModel):
    mag: float | None = None
    place: str | None = None
    time: int
    updated: int | None = None
    tz: int | None = None
    url: str | None = None
    detail: str | None = None
    felt: int | None = None
    cdi: float | None = None
    mmi: float | None = None
    alert: str | None = None
    status: str | None = None
    tsunami: int | None = None
    sig: int | None = None
    net: str | None = None
    code: str | None = None
    ids: str | None = None
    sources: str | None = None
    types: str | None = None
    nst: int | None = None
    dmin: float | None = None
    rms: float | None = None
    gap: float | None = None
    magType: str | None = None  # noqa: N815 (USGS's own spelling)
    type: str | None = None
    title: str | None = None


class _Geometry(BaseModel):
    type: str
    coordinates: list[float]


class _Feature(BaseModel):
    type: str
    id: str
    properties: _Properties
    geometry: _Geometry


class _Collection(BaseModel):
    type: str
    metadata: dict[str, object]
    features: list[_Feature]


def _cpu(run: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(_REPEATS):
        gc.collect()
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return times


def main() -> None:
    documents = [(_FIXTURES / name).read_bytes() for name in _DOCUMENTS]
    features = sum(len(json.loads(d)["features"]) for d in documents)

    def baseline() -> None:
        for data in documents:
            _Collection.model_validate(json.loads(data))

    def ours() -> None:
        for data in documents:
            read_document(data)

    memos = [ItemMemo() for _ in documents]
    for data, memo in zip(documents, memos, strict=True):
        read_document(data, memo=memo)

    def polled() -> None:
        for data, memo in zip(documents, memos, strict=True):
            read_document(data, memo=memo)

    ours()  # warm the country tables, as a running ingester has them
    # Interleaved, so that load from elsewhere on the machine falls on all alike.
    base_runs: list[float] = []
    our_runs: list[float] = []
    polled_runs: list[float] = []
    for _ in range(3):
        base_runs += _cpu(baseline)
        our_runs += _cpu(ours)
        polled_runs += _cpu(polled)
    base = statistics.median(base_runs)
    print(f"{len(documents)} real USGS documents, {features} features")
    print(
        f"baseline      json.loads + pydantic validation {base / features * 1e6:7.1f} µs a feature"
    )
    for label, runs in (("afresh", our_runs), ("polled", polled_runs)):
        mine = statistics.median(runs)
        ratio = base / mine
        verdict = "meets" if ratio >= _TARGET else "MISSES"
        print(
            f"usgs {label}   parse + normalise + place      {mine / features * 1e6:7.1f} µs a feature"
            f"  ratio {ratio:.2f}x: {verdict} the {_TARGET}x target"
        )
