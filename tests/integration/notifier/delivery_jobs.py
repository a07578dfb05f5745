"""A member alert's delivery job, as the composer would make it, for the delivery log's tests."""

from __future__ import annotations

from schemas.deliveries import Channel, DeliveryKind
from services.notifier.jobs import Job


def job(contact: str, body_id: str = "body") -> Job:
    return Job(
        key=f"alert:a:org/{contact}:email",
        kind=DeliveryKind.MEMBER_ALERT,
        channel=Channel.EMAIL,
        activation_id="a",
        incident_id="i",
        organisation_id="org",
        contact_id=contact,
        recipient=f"{contact}@example.org",
        message_id=f"<{contact}@standby.local>",
        headers=b"To: x\r\n",
        body_id=body_id,
        body=b"hello",
    )
