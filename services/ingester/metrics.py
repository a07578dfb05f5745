"""The ingester's metrics: polls, items and publications per source.

The setup they share is services/common/metrics.py.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas.hazards import HazardType, Source
from services.common.metrics import LATENCY_BUCKETS, LEAD_BUCKETS

POLL_OUTCOMES = ("ok", "not_modified", "failed")
"""SOURCE_POLLS{outcome}: a good fetch, a 304, or a failure (also counted in SOURCE_FAILURES)."""

SOURCE_POLLS = Counter("standby_source_polls_total", "Feed polls.", ["source", "outcome"])
SOURCE_FAILURES = Counter(
    "standby_source_failures_total", "Feed polls that failed, by reason.", ["source", "reason"]
)
ITEMS_PARSED = Counter("standby_items_parsed_total", "Feed items normalised.", ["source"])
EVENTS_UNPLACED = Counter(
    "standby_events_unplaced_total",
    "Feed items normalised for which no country was found (codes, names, GLIDE, coordinates);"
    " a share of standby_items_parsed_total.",
    ["source"],
)
ITEMS_REJECTED = Counter(
    "standby_items_rejected_total", "Feed items refused, by reason.", ["source", "reason"]
)
EVENTS_PUBLISHED = Counter(
    "standby_events_published_total", "New or changed hazard events published.", ["source"]
)
SOURCE_LAST_SUCCESS = Gauge(
    "standby_source_last_success_timestamp_seconds", "Time of the last good fetch.", ["source"]
)
FETCH_LATENCY = Histogram(
    "standby_source_fetch_seconds", "Fetch and parse time.", ["source"], buckets=LATENCY_BUCKETS
)
FIELDS_DROPPED = Counter(
    "standby_fields_dropped_total",
    "Implausible item fields blanked (the item is still published), by field.",
    ["source", "field"],
)
SOURCE_LAG = Histogram(
    "standby_source_lag_seconds",
    "From an event's origin to when standby first saw it, by the event's source and hazard:"
    " how late each source tells.",
    ["source", "hazard"],
    buckets=LEAD_BUCKETS,
)
DOCUMENTS_REPAIRED = Counter(
    "standby_documents_repaired_total",
    "Documents read after removing a byte-order mark or blanks before the XML declaration.",
    ["source", "reason"],
)


def prime() -> None:
    """Create the zero lag series of every source and hazard; polled sources: `prime_source`."""
    # A source's first report of a hazard is rare (a quake a day): unprimed, its lag would
    # appear already counted at the first scrape, and rate() would never see it (decision 0308).
    for source in Source:
        for hazard in HazardType:
            SOURCE_LAG.labels(source.value, hazard.value)


def prime_source(source: str) -> None:
    """Create the zero-valued series of one polled source (call once per configured source)."""
    for outcome in POLL_OUTCOMES:
        SOURCE_POLLS.labels(source, outcome)
    ITEMS_PARSED.labels(source)
    EVENTS_UNPLACED.labels(source)
    EVENTS_PUBLISHED.labels(source)
    FETCH_LATENCY.labels(source)
