"""Reads and writes of the response tables; every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import Activation, IncidentSummary
from schemas.responses import AnswerKind, AnswerVia, RollCallAnswer
from services.common.db import upsert
from services.response.models import Addressed, AnswerRow, AuditRow, RollCall
from services.response.rollcall import AnswerView, RollCallStatus


async def open_rollcall(
    session: AsyncSession, activation: Activation, now: datetime, reminder_after: timedelta
) -> bool:
    """Open the incident's roll-call on its first member alert; an upgrade refreshes it.

    Return True when the roll-call is new.
    """
    incident_id = str(activation.incident_id)
    held = await session.get(RollCall, incident_id)
    summary = activation.summary.model_dump(mode="json")
    if held is not None:
        held.activation_id = str(activation.activation_id)
        held.level = activation.level.value
        held.summary = summary
        return False
    session.add(
        RollCall(
            incident_id=incident_id,
            activation_id=str(activation.activation_id),
            level=activation.level.value,
            summary=summary,
            status=RollCallStatus.OPEN.value,
            activated_at=activation.occurred_at,
            opened_at=now,
            reminder_due_at=now + reminder_after,
        )
    )
    return True


async def rollcall(session: AsyncSession, incident_id: str) -> RollCall | None:
    return await session.get(RollCall, incident_id)


async def rollcalls(session: AsyncSession, limit: int = 100) -> Sequence[RollCall]:
    found = await session.execute(select(RollCall).order_by(RollCall.opened_at.desc()).limit(limit))
    return found.scalars().all()


def summary_of(row: RollCall) -> IncidentSummary:
    return IncidentSummary.model_validate(row.summary)


async def add_addressed(
    session: AsyncSession, incident_id: str, organisation_id: str, at: datetime
) -> None:
    stmt = (
        upsert(session, Addressed)
        .values(incident_id=incident_id, organisation_id=organisation_id, first_at=at)
        .on_conflict_do_nothing(index_elements=["incident_id", "organisation_id"])
    )
    await session.execute(stmt)


async def addressed(session: AsyncSession, incident_id: str) -> list[str]:
    found = await session.execute(
        select(Addressed.organisation_id)
        .where(Addressed.incident_id == incident_id)
        .order_by(Addressed.first_at, Addressed.organisation_id)
    )
    return list(found.scalars().all())


async def record_answer(session: AsyncSession, answer: RollCallAnswer) -> bool:
    """Keep an answer; return True when it is the incident's first."""
    incident_id = str(answer.incident_id)
    session.add(
        AnswerRow(
            answer_id=str(answer.id),
            incident_id=incident_id,
            organisation_id=answer.organisation_id,
            contact_id=answer.contact_id,
            answer=answer.answer.value,
            earliest_arrival_hours=answer.earliest_arrival_hours,
            staff=answer.staff,
            sectors=[s.value for s in answer.sectors],
            survey_budget_jpy=answer.survey_budget_jpy,
            note=answer.note,
            via=answer.via.value,
            recorded_by=answer.recorded_by,
            answered_at=answer.occurred_at,
        )
    )
    first = await session.execute(
        update(RollCall)
        .where(RollCall.incident_id == incident_id, RollCall.first_answer_at.is_(None))
        .values(first_answer_at=answer.occurred_at)
    )
    return bool(first.rowcount)  # type: ignore[attr-defined]


async def answers(session: AsyncSession, incident_id: str) -> list[AnswerView]:
    found = await session.execute(
        select(AnswerRow).where(AnswerRow.incident_id == incident_id).order_by(AnswerRow.seq)
    )
    return [_answer_view(row) for row in found.scalars().all()]


async def latest_answer(
    session: AsyncSession, incident_id: str, organisation_id: str
) -> AnswerView | None:
    """One organisation's latest answer (its answer page): not every answer of the roll-call,
    which at 500 organisations made each answer cost more than the one before."""
    found = await session.execute(
        select(AnswerRow)
        .where(AnswerRow.incident_id == incident_id, AnswerRow.organisation_id == organisation_id)
        .order_by(AnswerRow.seq.desc())
        .limit(1)
    )
    row = found.scalars().first()
    return None if row is None else _answer_view(row)


def _answer_view(row: AnswerRow) -> AnswerView:
    return AnswerView(
        seq=row.seq,
        answer_id=row.answer_id,
        organisation_id=row.organisation_id,
        contact_id=row.contact_id,
        answer=AnswerKind(row.answer),
        earliest_arrival_hours=row.earliest_arrival_hours,
        staff=row.staff,
        sectors=tuple(row.sectors or ()),
        survey_budget_jpy=row.survey_budget_jpy,
        note=row.note,
        via=AnswerVia(row.via),
        recorded_by=row.recorded_by,
        answered_at=row.answered_at,
    )


async def audit(
    session: AsyncSession,
    incident_id: str,
    action: str,
    *,
    at: datetime,
    via: str,
    officer_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditRow(
            incident_id=incident_id,
            action=action,
            officer_id=officer_id,
            via=via,
            detail=detail or {},
            at=at,
        )
    )


async def audit_trail(session: AsyncSession, incident_id: str) -> Sequence[AuditRow]:
    found = await session.execute(
        select(AuditRow).where(AuditRow.incident_id == incident_id).order_by(AuditRow.id)
    )
    return found.scalars().all()


async def due_reminders(session: AsyncSession, now: datetime) -> list[str]:
    found = await session.execute(
        select(RollCall.incident_id).where(
            RollCall.status == RollCallStatus.OPEN.value,
            RollCall.reminder_sent_at.is_(None),
            RollCall.reminder_due_at <= now,
        )
    )
    return list(found.scalars().all())


async def claim_reminder(session: AsyncSession, incident_id: str, now: datetime) -> bool:
    """Mark the reminder sent; False when it was sent already or the roll-call closed."""
    result = await session.execute(
        update(RollCall)
        .where(
            RollCall.incident_id == incident_id,
            RollCall.status == RollCallStatus.OPEN.value,
            RollCall.reminder_sent_at.is_(None),
        )
        .values(reminder_sent_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def close(
    session: AsyncSession, incident_id: str, status: RollCallStatus, at: datetime
) -> bool:
    """Close an open roll-call (launch or stand-down); False when it was not open."""
    values: dict[str, Any] = {"status": status.value, "closed_at": at}
    if status is RollCallStatus.LAUNCHED:
        values["launched_at"] = at
    result = await session.execute(
        update(RollCall)
        .where(RollCall.incident_id == incident_id, RollCall.status == RollCallStatus.OPEN.value)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def open_counts(session: AsyncSession) -> tuple[int, int]:
    """Count addressed and answering organisations over the open roll-calls."""
    open_ids = select(RollCall.incident_id).where(RollCall.status == RollCallStatus.OPEN.value)
    addressed_n = (
        await session.execute(
            select(func.count()).select_from(Addressed).where(Addressed.incident_id.in_(open_ids))
        )
    ).scalar_one()
    pairs = (
        select(AnswerRow.incident_id, AnswerRow.organisation_id)
        .join(
            Addressed,
            (Addressed.incident_id == AnswerRow.incident_id)
            & (Addressed.organisation_id == AnswerRow.organisation_id),
        )
        .where(AnswerRow.incident_id.in_(open_ids))
        .distinct()
        .subquery()
    )
    answered_n = (await session.execute(select(func.count()).select_from(pairs))).scalar_one()
    return int(addressed_n), int(answered_n)
