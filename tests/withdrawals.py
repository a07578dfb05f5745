"""A real USGS event that members were told about, then deleted by USGS: the reports the
ingester's reader makes of the real capture, and the activations the real triage engine
makes of them (an alert, then its withdrawal)."""

from __future__ import annotations

import json
from typing import Any

from schemas.activations import Activation
from schemas.hazards import HazardEvent
from services.ingester.sources import read_document
from services.triage.backtest import replay
from services.triage.criteria import load_criteria
from tests.conftest import REAL_CAPTURES
from tests.unit.triage.builders import SHIPPED_CRITERIA

SIGNIFICANT = (
    REAL_CAPTURES
    / "usgs"
    / "usgs_summary_significant-month_2023-10-11_NaseemaO-Leaflet-Earthquakes-dashboard.json"
)
#: Western Afghanistan, 11 October 2023 (the Herat sequence): PAGER red, reviewed.
HERAT = "us6000len8"


def summary_with(*features: dict[str, Any]) -> bytes:
    """The real significant-month summary feed, listing only these features."""
    document = json.loads(SIGNIFICANT.read_bytes())
    return json.dumps({**document, "features": list(features)}).encode()


def herat(**changed: Any) -> dict[str, Any]:
    """The Herat feature as the real feed lists it, with some properties changed."""
    document = json.loads(SIGNIFICANT.read_bytes())
    feature = next(f for f in document["features"] if f["id"] == HERAT)
    return {**feature, "properties": {**feature["properties"], **changed}}


def deleted_herat() -> dict[str, Any]:
    """USGS's later version of the Herat event: `deleted`, a minute after the one told."""
    updated = herat()["properties"]["updated"] + 60_000
    return herat(status="deleted", updated=updated)


def reports_told_then_deleted() -> list[HazardEvent]:
    """The two versions as the ingester reads them from two polls of the summary feed."""
    (told,) = read_document(summary_with(herat())).events
    (deleted,) = read_document(summary_with(deleted_herat())).events
    return [told, deleted]


def told_then_withdrawn() -> tuple[Activation, Activation]:
    """The alert triage sends for the Herat report, and the withdrawal for its deletion."""
    outcomes = list(replay(reports_told_then_deleted(), load_criteria(SHIPPED_CRITERIA)))
    told, withdrawn = (o.activation for o in outcomes)
    assert told is not None and withdrawn is not None
    return told, withdrawn
