"""What the deploy tests need to know about PromQL text and standby's metric names."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

import services.runtime.metrics  # noqa: F401  (registers the runtime's series)
from services.common.metrics import service_metrics
from services.common.settings import SERVICES

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "info": ("_info",),
    "summary": ("_count", "_sum", "_created"),
}
_NAME = re.compile(r"\b(standby_[a-z0-9_]+)\b")
# Grafana's macros, as a dashboard over the last 15 minutes would fill them in.
GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "15m"}

for _service in SERVICES:  # each service's own series
    service_metrics(_service)


def exported_names() -> set[str]:
    """Name every sample standby's processes can export."""
    names: set[str] = set()
    family: Metric
    for family in REGISTRY.collect():
        if family.name.startswith("standby_"):
            names.update(family.name + s for s in _SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """Name the standby metrics a PromQL expression reads."""
    return set(_NAME.findall(expr))


def expand_macros(expr: str) -> str:
    """Replace Grafana's interval macros with fixed durations Prometheus accepts."""
    for macro, value in GRAFANA_MACROS.items():
        expr = expr.replace(macro, value)
    return expr
