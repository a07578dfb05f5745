"""The one metrics module: every metric standby exports, with bounded label sets.

Labels never carry ids, emails or titles: only sources, reasons, levels, hazards, channels,
outcomes, steps and topics, each drawn from a small closed set.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

from services.common.logs import get_logger

log = get_logger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# --- every service ----------------------------------------------------------------------
BUILD_INFO = Info("standby_build", "Version of the running service.")
HANDLER_ERRORS = Counter(
    "standby_handler_errors_total", "Handler failures by topic and outcome.", ["topic", "outcome"]
)
MESSAGES_CONSUMED = Counter("standby_messages_consumed_total", "Messages handled.", ["topic"])
DEAD_LETTERS = Counter("standby_dead_letters_total", "Messages sent to a DLQ.", ["topic"])
OUTBOX_DEPTH = Gauge("standby_outbox_depth", "Outbox rows not yet relayed to the broker.")
OUTBOX_PUBLISHED = Counter("standby_outbox_published_total", "Outbox rows relayed.", ["topic"])
CONSUMER_LAG = Gauge("standby_consumer_lag", "Messages behind the end of the topic.", ["topic"])

# --- ingester -----------------------------------------------------------------------------
SOURCE_POLLS = Counter("standby_source_polls_total", "Feed polls.", ["source", "outcome"])
SOURCE_FAILURES = Counter(
    "standby_source_failures_total", "Feed polls that failed, by reason.", ["source", "reason"]
)
ITEMS_PARSED = Counter("standby_items_parsed_total", "Feed items normalised.", ["source"])
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
    "standby_source_fetch_seconds", "Fetch and parse time.", ["source"], buckets=_LATENCY_BUCKETS
)

# --- triage -------------------------------------------------------------------------------
DECISIONS = Counter("standby_decisions_total", "Triage decisions.", ["level", "hazard"])
ACTIVATIONS_PUBLISHED = Counter(
    "standby_activations_total", "Activations published (new level or upgrade).", ["level"]
)
INCIDENTS_OPEN = Gauge("standby_incidents_open", "Incidents at watch or above, not closed.")
DECISION_LATENCY = Histogram(
    "standby_decision_seconds", "Time to decide on one hazard event.", buckets=_LATENCY_BUCKETS
)

# --- notifier -----------------------------------------------------------------------------
DELIVERIES = Counter(
    "standby_deliveries_total", "Delivery outcomes.", ["channel", "kind", "outcome"]
)
DELIVERY_RETRIES = Counter("standby_delivery_retries_total", "Delivery retries.", ["channel"])
SEND_LATENCY = Histogram(
    "standby_send_seconds",
    "Time to hand one message to its channel.",
    ["channel"],
    buckets=_LATENCY_BUCKETS,
)

# --- duty ---------------------------------------------------------------------------------
PAGES_SENT = Counter("standby_pages_total", "Pages issued.", ["level"])
ESCALATIONS = Counter("standby_escalations_total", "Escalations by step.", ["step"])
ACK_TRANSITIONS = Counter("standby_duty_transitions_total", "Duty transitions.", ["state", "via"])
TIME_TO_ACK = Histogram(
    "standby_time_to_ack_seconds",
    "From first page to acknowledgement.",
    buckets=(5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
)
OPEN_UNACKED = Gauge("standby_open_unacknowledged", "Activations paged and not acknowledged.")


def start_metrics(service: str, port: int, version: str) -> None:
    """Serve `/metrics` for this process on its own port."""
    BUILD_INFO.info({"service": service, "version": version})
    if port:
        start_http_server(port, addr="127.0.0.1" if port else "0.0.0.0")
        log.info("metrics_serving", port=port)
