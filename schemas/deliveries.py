"""`deliveries.v1`: what happened to one message to one contact on one channel."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from schemas.base import Message
from schemas.topics import DELIVERIES


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"


class DeliveryKind(StrEnum):
    MEMBER_ALERT = "member_alert"
    PAGE = "page"
    ACK_NOTICE = "ack_notice"
    COORDINATION = "coordination"
    DIGEST = "digest"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class Delivery(Message):
    """The state of one delivery after an attempt."""

    topic: ClassVar[str] = DELIVERIES

    delivery_key: str = Field(description="Idempotency key: activation + contact + channel.")
    kind: DeliveryKind
    activation_id: UUID
    incident_id: UUID | None = None
    organisation_id: str | None = None
    contact_id: str
    channel: Channel
    status: DeliveryStatus
    attempts: int = Field(ge=0)
    error: str | None = None
    message_id: str | None = None
