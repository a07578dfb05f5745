"""The response service's metrics: the roll-call funnel (setup: services/common/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas.responses import AnswerKind, AnswerVia

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


def prime() -> None:
    """Create the zero-valued series of every answer and the way it came."""
    for answer in AnswerKind:
        for answer_via in AnswerVia:
            ROLLCALL_ANSWERS.labels(answer.value, answer_via.value)
