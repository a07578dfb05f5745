"""The one metrics module: every metric standby exports, with bounded label sets.

Labels never carry ids, emails or titles: only sources, reasons, levels, hazards, channels,
outcomes, steps and topics, each drawn from a small closed set. The service a series comes
from is not a metric label: Prometheus adds it as the `service` target label when scraping
(see deploy/prometheus/).

Label values that come from a closed vocabulary are created at zero when a service starts
(`prime`), so dashboards and alert ratios show 0 rather than "no data" before the first event,
and `rate()`/`increase()` see the first increment.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

from schemas.acks import AckState, AckVia
from schemas.activations import Level
from schemas.deliveries import Channel, DeliveryKind
from schemas.hazards import HazardType
from schemas.responses import AnswerKind, AnswerVia
from schemas.topics import DELIVERIES as DELIVERIES_TOPIC
from services.common.logs import get_logger

log = get_logger(__name__)

# The closed vocabularies of label values (documented here so every service counts alike).
POLL_OUTCOMES = ("ok", "not_modified", "failed")
"""SOURCE_POLLS{outcome}: a good fetch, a 304, or a failure (also counted in SOURCE_FAILURES)."""
DELIVERY_OUTCOMES = ("sent", "retrying", "failed")
"""DELIVERIES{outcome}: accepted by the channel, scheduled for another try, failed for good."""
HANDLER_OUTCOMES = ("retried", "dead_lettered")
PAGED_LEVELS = (Level.STANDBY, Level.ACTIVATE)
# ESCALATIONS{step}: steps 1..5 cover the rota's usual chains (the default has 3 escalations);
# a later step still counts, from its first escalation on.
PRIMED_ESCALATION_STEPS = 5

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# --- every service ----------------------------------------------------------------------
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
LAG_SCRAPE_ERRORS = Counter(
    "standby_consumer_lag_errors_total", "Consumer-lag measurements that failed."
)

# --- runtime (`standby run`'s supervisor) ----------------------------------------------------
PROCESS_RESTARTS = Counter(
    "standby_process_restarts_total",
    "Supervised processes started again after they died, by process (broker, smtp-sink or a"
    " service name).",
    ["process"],
)

# --- ingester -----------------------------------------------------------------------------
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
    "standby_source_fetch_seconds", "Fetch and parse time.", ["source"], buckets=_LATENCY_BUCKETS
)
FIELDS_DROPPED = Counter(
    "standby_fields_dropped_total",
    "Implausible item fields blanked (the item is still published), by field.",
    ["source", "field"],
)
DOCUMENTS_REPAIRED = Counter(
    "standby_documents_repaired_total",
    "Documents read after removing a byte-order mark or blanks before the XML declaration.",
    ["source", "reason"],
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
ESCALATIONS = Counter(
    "standby_escalations_total",
    "Escalations past the first page (the escalation time ran out unacknowledged), by step"
    " number: 1 is the first escalation.",
    ["step"],
)
ACK_TRANSITIONS = Counter("standby_duty_transitions_total", "Duty transitions.", ["state", "via"])
TIME_TO_ACK = Histogram(
    "standby_time_to_ack_seconds",
    "From first page to acknowledgement.",
    buckets=(5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
)
OPEN_UNACKED = Gauge("standby_open_unacknowledged", "Activations paged and not acknowledged.")
SECURITY_EVENT_KINDS = (
    "login_succeeded",
    "login_failed",
    "login_throttled",
    "logout",
    "session_ended",
    "link_refused",
    "rota_removed",
    "origin_refused",
)
"""SECURITY_EVENTS{kind}: the console's audit trail (decision 0502), one count per record."""
SECURITY_EVENTS = Counter(
    "standby_security_events_total",
    "Console security events (logins, failures, throttling, refused links, rota removals).",
    ["kind"],
)

# --- response -----------------------------------------------------------------------------
ROLLCALL_ANSWERS = Counter(
    "standby_rollcall_answers_total", "Roll-call answers recorded.", ["answer", "via"]
)
TIME_TO_FIRST_ANSWER = Histogram(
    "standby_rollcall_first_answer_seconds",
    "From the incident's first activation (standby or activate) to its roll-call's first answer.",
    buckets=(30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200),
)
TIME_TO_SURVEY_DECISION = Histogram(
    "standby_rollcall_survey_decision_seconds",
    "From the incident's first activation (standby or activate) to its initial survey decision.",
    buckets=(300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800),
)
ROLLCALL_ANSWER_RATIO = Histogram(
    "standby_rollcall_answer_ratio",
    "Share of the addressed organisations that answered, one observation per incident when its"
    " roll-call closes (programme launch or stand-down).",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
ROLLCALL_OPEN_ADDRESSED = Gauge(
    "standby_rollcall_open_addressed", "Organisations addressed by the open roll-calls."
)
ROLLCALL_OPEN_ANSWERED = Gauge(
    "standby_rollcall_open_answered", "Organisations that answered the open roll-calls."
)
ROLLCALL_REMINDERS = Counter("standby_rollcall_reminders_total", "Roll-call reminders sent.")


def prime(service: str, topics: Iterable[str] = ()) -> None:
    """Create the zero-valued series of a service's closed label vocabularies."""
    for topic in topics:
        MESSAGES_CONSUMED.labels(topic)
        DEAD_LETTERS.labels(topic)
        CONSUMER_LAG.labels(topic)
        for outcome in HANDLER_OUTCOMES:
            HANDLER_ERRORS.labels(topic, outcome)
    if service == "triage":
        for level in Level:
            ACTIVATIONS_PUBLISHED.labels(level.value)
            for hazard in HazardType:
                DECISIONS.labels(level.value, hazard.value)
    elif service == "notifier":
        # Permanent delivery failures are dead-lettered by the notifier itself, not by Routes.
        DEAD_LETTERS.labels(DELIVERIES_TOPIC)
        for channel in Channel:
            DELIVERY_RETRIES.labels(channel.value)
            SEND_LATENCY.labels(channel.value)
            for kind in DeliveryKind:
                for outcome in DELIVERY_OUTCOMES:
                    DELIVERIES.labels(channel.value, kind.value, outcome)
    elif service == "duty":
        for level in PAGED_LEVELS:
            PAGES_SENT.labels(level.value)
        for step in range(1, PRIMED_ESCALATION_STEPS + 1):
            ESCALATIONS.labels(str(step))
        for state in AckState:
            for via in AckVia:
                ACK_TRANSITIONS.labels(state.value, via.value)
        for event_kind in SECURITY_EVENT_KINDS:
            SECURITY_EVENTS.labels(event_kind)
    elif service == "response":
        for answer in AnswerKind:
            for answer_via in AnswerVia:
                ROLLCALL_ANSWERS.labels(answer.value, answer_via.value)


def prime_source(source: str) -> None:
    """Create the zero-valued series of one polled source (call once per configured source)."""
    for outcome in POLL_OUTCOMES:
        SOURCE_POLLS.labels(source, outcome)
    ITEMS_PARSED.labels(source)
    EVENTS_UNPLACED.labels(source)
    EVENTS_PUBLISHED.labels(source)
    FETCH_LATENCY.labels(source)


def start_metrics(service: str, port: int, version: str, *, host: str = "127.0.0.1") -> None:
    """Serve `/metrics` for this process on its own port (0: do not serve)."""
    BUILD_INFO.info({"version": version, "python": platform.python_version()})
    prime(service)
    if port:
        start_http_server(port, addr=host)
        log.info("metrics_serving", host=host, port=port)
