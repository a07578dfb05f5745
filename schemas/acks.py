"""`acks.v1`: a duty officer's (or the escalation clock's) transition of an activation."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from schemas.activations import IncidentSummary, Level
from schemas.base import Message
from schemas.topics import ACKS


class AckState(StrEnum):
    PAGED = "paged"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    LAUNCHED = "launched"
    STOOD_DOWN = "stood_down"
    CLOSED = "closed"  # the launched programme was closed on the roll-call board


class AckVia(StrEnum):
    LINK = "link"
    CONSOLE = "console"
    API = "api"
    TIMER = "timer"


class AckEvent(Message):
    """One transition of an activation's duty state."""

    topic: ClassVar[str] = ACKS

    activation_id: UUID
    incident_id: UUID
    level: Level
    state: AckState
    step: int = Field(default=0, ge=0)
    officer_id: str | None = None
    via: AckVia
    note: str | None = Field(
        default=None,
        description="The officer's internal note: for officers, never sent to members.",
    )
    member_message: str | None = Field(
        default=None,
        max_length=2000,
        description="The officer's message to members, read in the deploy or stand-down notice.",
    )
    summary: IncidentSummary | None = None
    programme_ja: str | None = Field(
        default=None, description="Launched or closed: the programme's name in Japanese."
    )
    programme_en: str | None = Field(
        default=None, description="Launched or closed: the programme's name in English."
    )
