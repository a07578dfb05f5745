"""The runtime's metrics, served on its /health port (setup: services/common/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter

PROCESS_RESTARTS = Counter(
    "standby_process_restarts_total",
    "Supervised processes started again after they died, by process (broker, smtp-sink or a"
    " service name).",
    ["process"],
)
