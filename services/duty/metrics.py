"""Duty's metrics: pages, escalations, transitions, console security events.

The setup they share is services/common/metrics.py.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas.acks import AckState, AckVia
from schemas.activations import Level

PAGED_LEVELS = (Level.STANDBY, Level.ACTIVATE)
# ESCALATIONS{step}: steps 1..5 cover the rota's usual chains (the default has 3 escalations);
# a later step still counts, from its first escalation on.
PRIMED_ESCALATION_STEPS = 5

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


def prime() -> None:
    """Create the zero-valued series of every paged level, early step, transition and event."""
    for level in PAGED_LEVELS:
        PAGES_SENT.labels(level.value)
    for step in range(1, PRIMED_ESCALATION_STEPS + 1):
        ESCALATIONS.labels(str(step))
    for state in AckState:
        for via in AckVia:
            ACK_TRANSITIONS.labels(state.value, via.value)
    for event_kind in SECURITY_EVENT_KINDS:
        SECURITY_EVENTS.labels(event_kind)


PASSWORD_CHECKS = Counter(
    "standby_console_password_checks_total",
    "Console logins that reached the argon2 password check (a burst's tries refused before"
    " it do not count).",
)
