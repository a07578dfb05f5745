"""Topic names: the one place they are spelled, with who writes and who reads each.

A breaking change is a new version suffix. `ROUTES` is checked against the services'
subscriptions by tests/unit/test_topic_routes.py.
"""

from __future__ import annotations

from typing import NamedTuple

HAZARDS = "hazards.v1"
ACTIVATIONS = "activations.v1"
PAGES = "pages.v1"
DELIVERIES = "deliveries.v1"
ACKS = "acks.v1"
ANSWERS = "answers.v1"
COORDINATION = "coordination.v1"
ROLLCALL = "rollcall.v1"

MAIN_TOPICS: tuple[str, ...] = (
    HAZARDS,
    ACTIVATIONS,
    PAGES,
    DELIVERIES,
    ACKS,
    ANSWERS,
    COORDINATION,
    ROLLCALL,
)


class Route(NamedTuple):
    """Who publishes a topic, who consumes it (`service` or `service/side-group`), and why."""

    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    carries: str


ROUTES: dict[str, Route] = {
    HAZARDS: Route(("ingester",), ("triage",), "every new version of a feed item (HazardEvent)"),
    ACTIVATIONS: Route(
        ("triage",),
        ("notifier", "duty", "response"),
        "a level decided for an incident (Activation): mail, a page, a roll-call",
    ),
    PAGES: Route(
        ("duty",),
        ("notifier/pages",),
        "a page to the officer on duty (Page), in a group of its own so it never waits "
        "behind a member fan-out (decision 0708)",
    ),
    DELIVERIES: Route(
        ("notifier",),
        ("duty/deliveries", "response/deliveries"),
        "what became of each mail and message (Delivery): the timeline, who was addressed",
    ),
    ACKS: Route(
        ("duty",),
        ("notifier", "triage", "response"),
        "an officer's acknowledgement, launch or stand-down (AckEvent)",
    ),
    ANSWERS: Route(
        ("response",),
        (),
        "every roll-call answer (RollCallAnswer), kept for readers outside standby (an archive, "
        "a partner's dashboard); inside, the board reads its own table and the timeline "
        "reads rollcall.v1 (decision 0703)",
    ),
    COORDINATION: Route(
        ("response",),
        ("notifier",),
        "what members are told after the alert (CoordinationNotice): reminder, survey, launch",
    ),
    ROLLCALL: Route(
        ("response",),
        ("duty/deliveries",),
        "each audited roll-call step (RollCallStep), for the duty timeline",
    ),
}


def dlq(topic: str) -> str:
    """Name the dead-letter topic of a topic."""
    return f"{topic}.dlq"


ALL_TOPICS: tuple[str, ...] = MAIN_TOPICS + tuple(dlq(t) for t in MAIN_TOPICS)
