"""Reads and writes of the response tables; every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import IncidentSummary
from schemas.responses import AnswerKind, AnswerVia, RollCallAnswer
from services.common.db import upsert
from services.response.lifecycle import ResponseState
from services.response.models import Addressed, AnswerRow, AuditRow, RollCallRow
from services.response.rollcall import AnswerView, StepView

# Before the programme: the reminder and the gauges count these.
_OPEN = [s.value for s in ResponseState if s.is_open]


async def rollcall(session: AsyncSession, incident_id: str) -> RollCallRow | None:
    return await session.get(RollCallRow, incident_id)


async def rollcalls(session: AsyncSession, limit: int = 100) -> Sequence[RollCallRow]:
    found = await session.execute(
        select(RollCallRow).order_by(RollCallRow.opened_at.desc()).limit(limit)
    )
    return found.scalars().all()


def summary_of(row: RollCallRow) -> IncidentSummary:
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


def add_answers(session: AsyncSession, answers: Sequence[RollCallAnswer]) -> None:
    """Keep answers: every one, for ever (the latest per organisation counts)."""
    for answer in answers:
        session.add(
            AnswerRow(
                answer_id=str(answer.id),
                incident_id=str(answer.incident_id),
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


def _answer_view(row: Any) -> AnswerView:
    """An answer from its ORM row or its plain (Core) row: the same attribute names."""
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


@dataclass(frozen=True)
class BoardMarks:
    """How much a roll-call's board holds: its answers and audited steps (how many, the
    newest's number) and the organisations addressed."""

    answers: int
    answer_top: int
    steps: int
    step_top: int
    addressed: int


async def board_marks(session: AsyncSession, incident_id: str) -> BoardMarks:
    """Count what the board holds, in one statement."""

    def count(table: Any) -> Any:
        return select(func.count()).where(table.incident_id == incident_id).scalar_subquery()

    def top(column: Any, table: Any) -> Any:
        found = select(func.coalesce(func.max(column), 0))
        return found.where(table.incident_id == incident_id).scalar_subquery()

    found = await session.execute(
        select(
            count(AnswerRow),
            top(AnswerRow.seq, AnswerRow),
            count(AuditRow),
            top(AuditRow.id, AuditRow),
            count(Addressed),
        )
    )
    return BoardMarks(*(int(n) for n in found.one()))


async def answers_after(
    session: AsyncSession, incident_id: str, seq: int
) -> tuple[list[AnswerView], int | None]:
    """The incident's answers numbered after `seq`, and how many it has in all, read in one
    statement (one snapshot, on PostgreSQL too); no count when none is newer."""
    table = AnswerRow.__table__
    rows, total = await _after(session, table, "seq", incident_id, seq)
    return [_answer_view(row) for row in rows], total


async def steps_after(
    session: AsyncSession, incident_id: str, step_id: int
) -> tuple[list[StepView], int | None]:
    """The incident's audited steps numbered after `step_id`, and how many it has in all, read
    in one statement; no count when none is newer."""
    table = AuditRow.__table__
    rows, total = await _after(session, table, "id", incident_id, step_id)
    steps = [
        StepView(
            id=row.id,
            at=row.at,
            action=row.action,
            officer_id=row.officer_id,
            via=row.via,
            detail=row.detail or {},
        )
        for row in rows
    ]
    return steps, total


async def _after(
    session: AsyncSession, table: Any, numbered: str, incident_id: str, after: int
) -> tuple[list[Any], int | None]:
    """Plain rows, not ORM objects: at 500 answers building the objects was most of a read."""
    number = table.c[numbered]
    total = (
        select(func.count())
        .select_from(table)
        .where(table.c.incident_id == incident_id)
        .scalar_subquery()
        .label("total_rows")
    )
    found = await session.execute(
        select(*table.c, total)
        .where(table.c.incident_id == incident_id, number > after)
        .order_by(number)
    )
    rows = list(found.all())
    return rows, (int(rows[0].total_rows) if rows else None)


async def due_reminders(session: AsyncSession, now: datetime) -> list[str]:
    found = await session.execute(
        select(RollCallRow.incident_id).where(
            RollCallRow.status.in_(_OPEN),
            RollCallRow.reminder_sent_at.is_(None),
            RollCallRow.reminder_due_at <= now,
        )
    )
    return list(found.scalars().all())


async def open_counts(session: AsyncSession) -> tuple[int, int]:
    """Count addressed and answering organisations over the open roll-calls."""
    open_ids = select(RollCallRow.incident_id).where(RollCallRow.status.in_(_OPEN))
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
