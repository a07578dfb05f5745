"""Triage's tables: incidents, their reports, every decision, and every published activation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.tables import UuidText


class Base(DeclarativeBase):
    pass


class IncidentRow(Base):
    """One disaster as triage knows it; the reports live in `incident_members`."""

    __tablename__ = "incidents"

    id: Mapped[UuidText] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(4), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    countries: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    level_rank: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    alerted_level: Mapped[str] = mapped_column(String(16), nullable=False)
    acked_level: Mapped[str] = mapped_column(String(16), nullable=False)
    ack_state: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Whether a precisely dated report is held; only then do reports join by time and place.
    precise: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_incidents_family_seen", "family", "last_seen", "first_seen"),)


class IncidentMemberRow(Base):
    """The latest version of one source's report of an incident."""

    __tablename__ = "incident_members"

    source_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    incident_id: Mapped[UuidText] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    glide_key: Mapped[str | None] = mapped_column(String(32), index=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: Why this report joined an incident another report opened (None for the first).
    joined_because: Mapped[str | None] = mapped_column(Text)


class DecisionRow(Base):
    """Every decision triage took, broadcast or not: the audit trail of its judgement."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[UuidText] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message_id: Mapped[UuidText] = mapped_column(nullable=False)
    source_key: Mapped[str] = mapped_column(String(300), nullable=False)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    previous_level: Mapped[str] = mapped_column(String(16), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSON, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    activation_id: Mapped[UuidText | None]
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ActivationRow(Base):
    """Exactly one row per Activation published; an incident is never told twice at a level."""

    __tablename__ = "activations"

    activation_id: Mapped[UuidText] = mapped_column(primary_key=True)
    incident_id: Mapped[UuidText] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    )
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    previous_level: Mapped[str] = mapped_column(String(16), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    message_id: Mapped[UuidText] = mapped_column(nullable=False, unique=True)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        UniqueConstraint("incident_id", "level", name="uq_activations_incident_level"),
    )
