"""What the notifier sends and what came of it: jobs and their outcomes, as plain values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus


def delivery_key(scope: str, contact_ref: str, channel: Channel, index: int = 0) -> str:
    """Build the idempotency key: what it is about + who + how (+ which chat URL)."""
    suffix = f":{index}" if channel is Channel.CHAT else ""
    return f"{scope}:{contact_ref}:{channel.value}{suffix}"


def chat_body(title: str, text: str) -> bytes:
    """Pack a chat message the way the delivery log stores it."""
    return json.dumps({"title": title, "body": text}, ensure_ascii=False).encode()


def chat_parts(body: bytes) -> tuple[str, str]:
    data = json.loads(body)
    return str(data["title"]), str(data["body"])


@dataclass(slots=True)
class Job:
    """One message to one recipient on one channel, ready to hand over."""

    key: str
    kind: DeliveryKind
    channel: Channel
    activation_id: str
    incident_id: str | None
    organisation_id: str | None
    contact_id: str
    recipient: str
    message_id: str | None
    headers: bytes
    body_id: str
    body: bytes = field(repr=False)
    attempts: int = 0

    @property
    def payload(self) -> bytes:
        return self.headers + self.body


@dataclass(slots=True)
class Attempt:
    """The state of a job after an attempt."""

    job: Job
    status: DeliveryStatus
    at: datetime
    error: str | None = None
    next_attempt_at: datetime | None = None

    def to_delivery(self) -> Delivery:
        job = self.job
        # One per mail on the hot path. Validation parses the ids in Rust: faster than
        # `uuid.UUID()` in Python, and `model_construct` is slower still (~5x).
        return Delivery.model_validate(
            {
                "occurred_at": self.at,
                "delivery_key": job.key,
                "kind": job.kind,
                "activation_id": job.activation_id,
                "incident_id": job.incident_id,
                "organisation_id": job.organisation_id,
                "contact_id": job.contact_id,
                "channel": job.channel,
                "status": self.status,
                "attempts": job.attempts,
                "error": self.error,
                "message_id": job.message_id,
            }
        )
