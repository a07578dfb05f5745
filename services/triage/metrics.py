"""Triage's metrics: decisions, activations, open incidents (setup: services/common/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas.activations import Level
from schemas.hazards import HazardType, Source
from services.common.metrics import LATENCY_BUCKETS, LEAD_BUCKETS

DECISIONS = Counter("standby_decisions_total", "Triage decisions.", ["level", "hazard"])
ACTIVATIONS_PUBLISHED = Counter(
    "standby_activations_total", "Activations published (new level or upgrade).", ["level"]
)
INCIDENTS_OPEN = Gauge("standby_incidents_open", "Incidents at watch or above, not closed.")
DECISION_LATENCY = Histogram(
    "standby_decision_seconds", "Time to decide on one hazard event.", buckets=LATENCY_BUCKETS
)

ALERT_LAG = Histogram(
    "standby_alert_lag_seconds",
    "From when standby first saw the report that crossed a level to the activation, by the"
    " report's source and hazard.",
    ["source", "hazard"],
    buckets=LEAD_BUCKETS,
)


def prime() -> None:
    """Create the zero-valued series of every level and hazard."""
    for level in Level:
        ACTIVATIONS_PUBLISHED.labels(level.value)
        for hazard in HazardType:
            DECISIONS.labels(level.value, hazard.value)
    for source in Source:
        for hazard in HazardType:
            ALERT_LAG.labels(source.value, hazard.value)
