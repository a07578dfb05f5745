"""The one metrics setup: the series every service shares, priming, and `/metrics`.

Each service declares its own series next to its code, in `services/<name>/metrics.py`, with a
`prime()`; `start_metrics` loads that module by its name, so a service's series are registered
and primed before it serves them.

Labels never carry ids, emails or titles: only sources, reasons, levels, hazards, channels,
outcomes, steps and topics, each drawn from a small closed set. The service a series comes
from is not a metric label: Prometheus adds it as the `service` target label when scraping
(see deploy/prometheus/).

Label values that come from a closed vocabulary are created at zero when a service starts
(`prime`), so dashboards and alert ratios show 0 rather than "no data" before the first event,
and `rate()`/`increase()` see the first increment.
"""

from __future__ import annotations

import importlib
import platform
from collections.abc import Iterable
from types import ModuleType

from prometheus_client import Counter, Gauge, Info, start_http_server

from services.common.logs import get_logger

log = get_logger(__name__)

# The closed vocabularies of label values (documented here so every service counts alike;
# a service's own are in its metrics module).
HANDLER_OUTCOMES = ("retried", "dead_lettered")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: Lead times of the first hour and beyond: a minute to a week (a feed read after an outage).
LEAD_BUCKETS = (1, 10, 60, 300, 600, 1200, 1800, 2700, 3600, 7200, 21600, 86400, 604800)

BUILD_INFO = Info("standby_build", "Version of the running service and its Python.")
HANDLER_ERRORS = Counter(
    "standby_handler_errors_total", "Handler failures by topic and outcome.", ["topic", "outcome"]
)
MESSAGES_CONSUMED = Counter("standby_messages_consumed_total", "Messages handled.", ["topic"])
DEAD_LETTERS = Counter("standby_dead_letters_total", "Messages sent to a DLQ.", ["topic"])
OUTBOX_DEPTH = Gauge("standby_outbox_depth", "Outbox rows not yet relayed to the broker.")
OUTBOX_PUBLISHED = Counter("standby_outbox_published_total", "Outbox rows relayed.", ["topic"])
CONSUMER_LAG = Gauge(
    "standby_consumer_lag",
    "Messages of a consumed topic not yet committed by this service's consumer group.",
    ["topic"],
)
RETENTION_PRUNED = Counter(
    "standby_retention_pruned_total",
    "Rows deleted by the retention schedule, by table.",
    ["table"],
)
RETENTION_ROWS = Gauge(
    "standby_retention_rows", "Rows a table keeps, counted after each pruning round.", ["table"]
)
ERASURES = Counter(
    "standby_erasures_total",
    "Organisations and contacts gone from the member directory whose personal data was erased.",
    ["kind"],
)
ERASURE_KINDS = ("organisation", "contact")
LAG_SCRAPE_ERRORS = Counter(
    "standby_consumer_lag_errors_total", "Consumer-lag measurements that failed."
)


def service_metrics(service: str) -> ModuleType:
    """A service's own metrics module (`services/<service>/metrics.py`), its series registered."""
    return importlib.import_module(f"services.{service}.metrics")


def prime_topics(topics: Iterable[str]) -> None:
    """Create the zero-valued series of the topics a service consumes."""
    for topic in topics:
        MESSAGES_CONSUMED.labels(topic)
        DEAD_LETTERS.labels(topic)
        CONSUMER_LAG.labels(topic)
        for outcome in HANDLER_OUTCOMES:
            HANDLER_ERRORS.labels(topic, outcome)


def prime(service: str, topics: Iterable[str] = ()) -> None:
    """Create the zero-valued series of a service's closed label vocabularies."""
    prime_topics(topics)
    for kind in ERASURE_KINDS:
        ERASURES.labels(kind)
    service_metrics(service).prime()


def start_metrics(service: str, port: int, version: str, *, host: str = "127.0.0.1") -> None:
    """Serve `/metrics` for this process on its own port (0: do not serve)."""
    BUILD_INFO.info({"version": version, "python": platform.python_version()})
    prime(service)
    if port:
        start_http_server(port, addr=host)
        log.info("metrics_serving", host=host, port=port)
