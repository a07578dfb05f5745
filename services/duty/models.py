"""The duty service's tables: activations it owns, their audit trail, pages, timers, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.tables import AWARE_TYPES, UuidText


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = AWARE_TYPES


class DutyActivation(Base):
    """One activation as duty knows it: its state, the snapshotted chain and the live timer."""

    __tablename__ = "duty_activations"

    activation_id: Mapped[UuidText] = mapped_column(primary_key=True)
    incident_id: Mapped[UuidText] = mapped_column(index=True)
    level: Mapped[str] = mapped_column(String(20))
    previous_level: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict[str, Any]]
    reasons: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(20), index=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    chain: Mapped[list[Any]] = mapped_column(
        doc="The escalation chain as it stood when paging started (PlannedStep dicts)."
    )
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    paged_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    timer_id: Mapped[UuidText | None] = mapped_column(
        doc="The one timer allowed to escalate; any other that fires is stale."
    )
    superseded_by: Mapped[UuidText | None]


class DutyTransition(Base):
    """The audit trail: every state change, by whom, how and why."""

    __tablename__ = "duty_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activation_id: Mapped[UuidText] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(20))
    step: Mapped[int] = mapped_column(Integer, default=0)
    officer_id: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    member_message: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class DutyPage(Base):
    """A page issued to one officer at one step."""

    __tablename__ = "duty_pages"

    page_id: Mapped[UuidText] = mapped_column(primary_key=True)
    activation_id: Mapped[UuidText] = mapped_column(index=True)
    step: Mapped[int] = mapped_column(Integer)
    officer_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class DutyTimer(Base):
    """A scheduled escalation; survives restarts because it lives here, not in memory."""

    __tablename__ = "duty_timers"
    __table_args__ = (Index("ix_duty_timers_pending", "status", "due_at"),)

    id: Mapped[UuidText] = mapped_column(primary_key=True)
    activation_id: Mapped[UuidText] = mapped_column(index=True)
    step: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # pending | fired | cancelled | stale
    settled_at: Mapped[datetime | None]


class DutyDelivery(Base):
    """The latest known state of one delivery (from `deliveries.v1`), for the timeline."""

    __tablename__ = "duty_deliveries"

    delivery_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    activation_id: Mapped[UuidText] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[str] = mapped_column(String(130))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class SpentToken(Base):
    """Nonces of link tokens already used: a link acts once."""

    __tablename__ = "duty_spent_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
    spent_at: Mapped[datetime]


class LoginThrottle(Base):
    """Recent login failures under one key (officer at a source, a source, a device, an officer).

    Kept here rather than in memory so every console replica slows the same guesser.
    """

    __tablename__ = "duty_login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime]
    next_try_at: Mapped[datetime]


class ConsoleSession(Base):
    """A console login, server-side: logout, rota removal or expiry delete it, and the cookie dies with it."""

    __tablename__ = "duty_console_sessions"

    id_hash: Mapped[str] = mapped_column(
        String(64),
        primary_key=True,
        doc="SHA-256 of the cookie's session id (never the id itself).",
    )
    officer_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class RotaMember(Base):
    """Officers the console last saw in the rota: one who disappears is recorded once, by one replica."""

    __tablename__ = "duty_rota_members"

    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime]


class SecurityEvent(Base):
    """The security audit trail: logins, failures, throttling, refused links, rota removals."""

    __tablename__ = "duty_security_events"
    __table_args__ = (Index("ix_duty_security_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    officer_id: Mapped[str | None] = mapped_column(
        String(64), doc="The officer named (a typed id may be nobody's)."
    )
    source: Mapped[str | None] = mapped_column(
        String(64), doc="Client address, after trusted proxies."
    )
    detail: Mapped[str | None] = mapped_column(String(200), doc="A closed-set reason, never input.")


class DutyRollCallStep(Base):
    """A step of an incident's roll-call (from `rollcall.v1`), for the activation's timeline."""

    __tablename__ = "duty_rollcall_steps"

    step_id: Mapped[UuidText] = mapped_column(primary_key=True)
    incident_id: Mapped[UuidText] = mapped_column(index=True)
    activation_id: Mapped[UuidText]
    action: Mapped[str] = mapped_column(String(40))
    via: Mapped[str] = mapped_column(String(20))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(String(20))
    organisations: Mapped[list[Any]]
    programme_ja: Mapped[str | None] = mapped_column(String(200))
    programme_en: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
