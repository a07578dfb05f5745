"""The notifier's metrics: delivery outcomes, retries, send time.

The setup they share is services/common/metrics.py.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from schemas.deliveries import Channel, DeliveryKind
from schemas.topics import DELIVERIES as DELIVERIES_TOPIC
from services.common.metrics import DEAD_LETTERS, LATENCY_BUCKETS

DELIVERY_OUTCOMES = ("sent", "retrying", "failed")
"""DELIVERIES{outcome}: accepted by the channel, scheduled for another try, failed for good."""

DELIVERIES = Counter(
    "standby_deliveries_total", "Delivery outcomes.", ["channel", "kind", "outcome"]
)
DELIVERY_RETRIES = Counter("standby_delivery_retries_total", "Delivery retries.", ["channel"])
SEND_LATENCY = Histogram(
    "standby_send_seconds",
    "Time to hand one message to its channel.",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)


def prime() -> None:
    """Create the zero-valued series of every channel, kind and outcome."""
    # Permanent delivery failures are dead-lettered by the notifier itself, not by Routes.
    DEAD_LETTERS.labels(DELIVERIES_TOPIC)
    for channel in Channel:
        DELIVERY_RETRIES.labels(channel.value)
        SEND_LATENCY.labels(channel.value)
        for kind in DeliveryKind:
            for outcome in DELIVERY_OUTCOMES:
                DELIVERIES.labels(channel.value, kind.value, outcome)
