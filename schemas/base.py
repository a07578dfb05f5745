"""Fields every message carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """A value object of the wire format: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Message(Contract):
    """Envelope of every message on a topic."""

    topic: ClassVar[str]

    id: UUID = Field(
        default_factory=uuid4, description="Unique message id; consumers dedupe on it."
    )
    occurred_at: AwareDatetime = Field(
        default_factory=utcnow, description="When the fact the message reports happened."
    )
    produced_at: AwareDatetime = Field(
        default_factory=utcnow, description="When the producing service wrote the message."
    )
    schema_version: int = Field(default=1, ge=1, le=1)
