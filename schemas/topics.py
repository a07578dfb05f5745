"""Topic names: the one place they are spelled. A breaking change is a new version suffix."""

from __future__ import annotations

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


def dlq(topic: str) -> str:
    """Name the dead-letter topic of a topic."""
    return f"{topic}.dlq"


ALL_TOPICS: tuple[str, ...] = MAIN_TOPICS + tuple(dlq(t) for t in MAIN_TOPICS)
