"""The response service's tables: roll-calls, organisations addressed, answers, audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.tables import AWARE_TYPES, UuidText


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = AWARE_TYPES


class RollCallRow(Base):
    """The response of one incident (`aggregate.RollCall`): from the member alert to the
    programme's close or the stand-down."""

    __tablename__ = "rc_rollcalls"

    incident_id: Mapped[UuidText] = mapped_column(primary_key=True)
    activation_id: Mapped[UuidText]
    level: Mapped[str] = mapped_column(String(20))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    activated_at: Mapped[datetime] = mapped_column(
        doc="When triage first activated the incident: the roll-call metrics count from it."
    )
    opened_at: Mapped[datetime]
    reminder_due_at: Mapped[datetime]
    reminder_sent_at: Mapped[datetime | None]
    first_answer_at: Mapped[datetime | None]
    survey: Mapped[list[Any] | None] = mapped_column(JSON)
    survey_decided_at: Mapped[datetime | None]
    programme: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Addressed(Base):
    """An organisation the member alert of an incident went to."""

    __tablename__ = "rc_addressed"

    incident_id: Mapped[UuidText] = mapped_column(primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime]


class AnswerRow(Base):
    """One answer, kept for ever; the one with the highest `seq` per organisation counts."""

    __tablename__ = "rc_answers"
    __table_args__ = (
        Index("ix_rc_answers_incident_organisation", "incident_id", "organisation_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[UuidText] = mapped_column(unique=True)
    incident_id: Mapped[UuidText]
    organisation_id: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(20))
    earliest_arrival_hours: Mapped[int | None]
    staff: Mapped[int | None]
    sectors: Mapped[list[Any]] = mapped_column(JSON)
    survey_budget_jpy: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime]


class AuditRow(Base):
    """Every step of the coordination: who, how, what, when."""

    __tablename__ = "rc_audit"
    __table_args__ = (Index("ix_rc_audit_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[UuidText]
    action: Mapped[str] = mapped_column(String(40))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime]
