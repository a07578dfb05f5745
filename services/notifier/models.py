"""The notifier's tables: the delivery log, shared message bodies, threads, preferences, digests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DeliveryRow(Base):
    """One message to one contact on one channel: its state after the latest attempt.

    `recipient` is the address or Apprise URL the message goes to: the delivery log is as
    sensitive as `members.yaml` and lives in the notifier's own database.
    """

    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    activation_id: Mapped[str] = mapped_column(String(36), index=True)
    incident_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(100))
    contact_id: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    headers: Mapped[bytes] = mapped_column(LargeBinary)
    body_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The process (`ProcessPresence.id`) sending or due to retry it; a dead owner's rows are orphans.
    owner: Mapped[int | None] = mapped_column(Integer)
    # Held for the contact's quiet hours until then: not sent before, even as an orphan.
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_incident_created", "incident_id", "created_at"),
    )


class BodyRow(Base):
    """A message body shared by every recipient of one language (content-addressed)."""

    __tablename__ = "bodies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThreadRow(Base):
    """The first message a contact received about an incident: later ones reply to it."""

    __tablename__ = "threads"

    incident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contact_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    root_message_id: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PreferenceRow(Base):
    """A member contact's own choices (`services/notifier/preferences.py`); absent: none made."""

    __tablename__ = "member_preferences"

    organisation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    levels: Mapped[list[str] | None] = mapped_column(JSON)
    hazards: Mapped[list[str] | None] = mapped_column(JSON)
    countries: Mapped[list[str] | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(5))
    paused_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Quiet hours and the digest hour (`HH:MM[:SS]`) are read in this IANA zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    quiet_start: Mapped[str | None] = mapped_column(String(8))
    quiet_end: Mapped[str | None] = mapped_column(String(8))
    digest_levels: Mapped[list[str] | None] = mapped_column(JSON)
    digest_at: Mapped[str | None] = mapped_column(String(8))


class ClosedIncident(Base):
    """An incident an acknowledgement closed (launched or stood down): its delivery log may go.

    Mail about it after `closed_at` (a re-alert) opens it again; the retention schedule reads
    both (`services/notifier/retention.py`).
    """

    __tablename__ = "closed_incidents"

    incident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DigestItemRow(Base):
    """An alert a contact takes in the daily digest; `digest_id` once a digest holds it."""

    __tablename__ = "digest_items"

    organisation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    activation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(36))
    level: Mapped[str] = mapped_column(String(10))
    # The Activation as JSON: the digest is written from it hours later.
    activation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    digest_id: Mapped[str | None] = mapped_column(String(36), index=True)
