"""The roll-calls' repository: load a `RollCall`, save it with what its change produced.

Saving keeps the answers and the audit trail the change produced; what it publishes and
counts goes to the caller's unit of work as an `Outcome` (the messages in order under the
incident's key, the metrics once committed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import IncidentSummary, Level
from schemas.base import Message
from schemas.responses import Programme, SurveyAssignment
from services.response import metrics, store
from services.response.aggregate import Effects, RollCall
from services.response.lifecycle import ResponseState
from services.response.models import RollCallRow


@dataclass
class Outcome:
    """What a saved change hands to the unit of work (`unit_of_work.Produced`)."""

    messages: list[Message]
    key: str | None
    after_commit: list[Callable[[], None]] = field(default_factory=list)


async def load(session: AsyncSession, incident_id: str, *, lock: bool = True) -> RollCall | None:
    """The incident's roll-call, its row locked until the unit of work ends (PostgreSQL), so
    two decisions never start from the same old state. Answers load it unlocked: 500 of them
    in a minute would queue on the one row, and an answer racing a decision is harmless (a
    launched programme still takes answers; one landing as the response closes is kept)."""
    row = await session.get(RollCallRow, incident_id, with_for_update=lock)
    return None if row is None else _aggregate(row)


async def save(session: AsyncSession, rollcall: RollCall, effects: Effects) -> Outcome:
    """Write the roll-call back, keep its new answers and audit records; return the outcome."""
    row = await session.get(RollCallRow, rollcall.incident_id)
    if row is None:
        row = RollCallRow(incident_id=rollcall.incident_id)
        session.add(row)
    _copy(rollcall, row)
    return await keep(session, effects)


async def keep(session: AsyncSession, effects: Effects) -> Outcome:
    """Keep what a change produced (an answer held before its roll-call has no row to save)."""
    store.add_answers(session, effects.answers)
    for audited in effects.steps:
        step = audited.step
        await store.audit(
            session,
            str(step.incident_id),
            step.action.value,
            at=step.occurred_at,
            via=step.via.value,
            officer_id=step.officer_id,
            detail=audited.detail,
        )
    return Outcome(messages=effects.messages, key=effects.key, after_commit=_counted(effects))


def set_open_gauges(addressed: int, answered: int) -> None:
    metrics.ROLLCALL_OPEN_ADDRESSED.set(addressed)
    metrics.ROLLCALL_OPEN_ANSWERED.set(answered)


def _counted(effects: Effects) -> list[Callable[[], None]]:
    hooks: list[Callable[[], None]] = []
    if effects.answered is not None:
        answer, via = effects.answered
        hooks.append(lambda: metrics.ROLLCALL_ANSWERS.labels(answer.value, via.value).inc())
    if (first := effects.first_answer_after_s) is not None:
        hooks.append(lambda: metrics.TIME_TO_FIRST_ANSWER.observe(first))
    if (survey := effects.survey_after_s) is not None:
        hooks.append(lambda: metrics.TIME_TO_SURVEY_DECISION.observe(survey))
    if effects.reminded:
        hooks.append(metrics.ROLLCALL_REMINDERS.inc)
    if (ratio := effects.answer_ratio) is not None:
        hooks.append(lambda: metrics.ROLLCALL_ANSWER_RATIO.observe(ratio))
    return hooks


# The roll-call's times: each column holds the aggregate's field of that name as it is.
_TIMES = (
    "activated_at",
    "opened_at",
    "reminder_due_at",
    "reminder_sent_at",
    "first_answer_at",
    "survey_decided_at",
    "launched_at",
    "closed_at",
)


def _aggregate(row: RollCallRow) -> RollCall:
    state = ResponseState(row.status)
    if state is ResponseState.OPEN and row.survey_decided_at is not None:
        # Rows kept before the survey was a state of its own.
        state = ResponseState.SURVEY_DECIDED
    return RollCall(
        incident_id=row.incident_id,
        activation_id=row.activation_id,
        level=Level(row.level),
        summary=IncidentSummary.model_validate(row.summary),
        state=state,
        survey=[SurveyAssignment.model_validate(s) for s in row.survey or []],
        programme=Programme.model_validate(row.programme) if row.programme else None,
        **{name: getattr(row, name) for name in _TIMES},
    )


def _copy(rollcall: RollCall, row: RollCallRow) -> None:
    """Write the aggregate's fields back; only changed ones, so an answer updates one column
    (an unchanged summary written back would be an UPDATE of its whole JSON every answer)."""
    values = {
        "activation_id": rollcall.activation_id,
        "level": rollcall.level.value,
        "summary": rollcall.summary.model_dump(mode="json"),
        "status": rollcall.state.value,
        "survey": [s.model_dump(mode="json") for s in rollcall.survey] or None,
        "programme": rollcall.programme.model_dump(mode="json") if rollcall.programme else None,
        **{name: getattr(rollcall, name) for name in _TIMES},
    }
    for name, value in values.items():
        if getattr(row, name, None) != value:
            setattr(row, name, value)
