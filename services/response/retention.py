"""The response service's tables on the retention schedule, and where it keeps personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.erasure import PersonalData
from services.common.retention import Rule, aged
from services.common.settings import RetentionSettings
from services.response.models import Addressed, AnswerRow, AuditRow, RollCallRow

answers = cast(Table, AnswerRow.__table__)
audit = cast(Table, AuditRow.__table__)
rollcalls = cast(Table, RollCallRow.__table__)
addressed = cast(Table, Addressed.__table__)

_MONTH = timedelta(days=31)  # a programme's end is reckoned generously: never early


def programme_end(
    closed_at: datetime, launched_at: datetime | None, programme: dict[str, Any] | None
) -> datetime:
    """When a roll-call's programme ends: launch plus its months; a stood-down one at its close."""
    if launched_at is None or not programme:
        return closed_at
    return launched_at + int(programme.get("duration_months", 0)) * _MONTH


async def _ended(
    session: AsyncSession,
    now: datetime,
    keep: timedelta,
    *,
    holding: Table,
    without: Table | None = None,
) -> list[str]:
    """Incidents whose roll-call closed and whose programme ended `keep` ago, with rows left in
    `holding` and none in `without` (a hundred a round: a round deletes them, the next finds
    the next ones)."""
    condition = rollcalls.c.closed_at < now - keep
    condition &= exists().where(holding.c.incident_id == rollcalls.c.incident_id)
    if without is not None:
        condition &= ~exists().where(without.c.incident_id == rollcalls.c.incident_id)
    closed = await session.execute(
        select(
            rollcalls.c.incident_id,
            rollcalls.c.closed_at,
            rollcalls.c.launched_at,
            rollcalls.c.programme,
        )
        .where(condition)
        .limit(100)
    )
    return [
        row.incident_id
        for row in closed
        if programme_end(row.closed_at, row.launched_at, row.programme) < now - keep
    ]


def rules(retention: RetentionSettings) -> list[Rule]:
    """The roll-call audit trail by age; answers once their programme ended long enough ago; the
    roll-call itself and the organisations it addressed `disasters` after that, once its answers
    are gone (whichever schedule is the later)."""

    async def answers_of_ended(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
        ended = await _ended(session, now, retention.answers_after_close, holding=answers)
        return answers.c.incident_id.in_(ended) if ended else false()

    async def addressed_of_ended(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
        ended = await _ended(session, now, retention.disasters, holding=addressed, without=answers)
        return addressed.c.incident_id.in_(ended) if ended else false()

    async def ended_rollcalls(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
        # Its answers and the organisations it addressed went first: none outlives it.
        ended = await _ended(session, now, retention.disasters, holding=rollcalls, without=answers)
        left = exists().where(addressed.c.incident_id == rollcalls.c.incident_id)
        return (rollcalls.c.incident_id.in_(ended) & ~left) if ended else false()

    return [
        aged(audit.c.at, retention, "rollcall_audit"),
        Rule(answers, answers_of_ended, "answers_after_close"),
        Rule(addressed, addressed_of_ended, "disasters"),
        Rule(rollcalls, ended_rollcalls, "disasters"),
    ]


# An answer names the contact who gave it and may carry a note with a name or a phone number:
# both are blanked; the organisation's answer itself stays on the roll-call's record.
PERSONAL_DATA = (PersonalData.by_contact(answers, erase={"contact_id": None, "note": None}),)
