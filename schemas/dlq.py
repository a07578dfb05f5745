"""`<topic>.dlq`: a message a consumer could not take, kept whole with the reason."""

from __future__ import annotations

from pydantic import Field

from schemas.base import Message


class DeadLetter(Message):
    """The raw message, where it came from, and why it was set aside."""

    original_topic: str
    consumer: str = Field(description="Consumer group that refused it.")
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    payload: str = Field(description="The message body, decoded as UTF-8 with replacement.")
    error_type: str
    error: str
    attempts: int = Field(default=1, ge=1)
