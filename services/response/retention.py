"""The response service's tables on the retention schedule, and where it keeps personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.erasure import PersonalData
from services.common.retention import Rule, older_than
from services.common.settings import RetentionSettings
from services.response.models import AnswerRow, AuditRow, RollCallRow

answers = cast(Table, AnswerRow.__table__)
audit = cast(Table, AuditRow.__table__)
rollcalls = cast(Table, RollCallRow.__table__)

_MONTH = timedelta(days=31)  # a programme's end is reckoned generously: never early


def programme_end(
    closed_at: datetime, launched_at: datetime | None, programme: dict[str, Any] | None
) -> datetime:
    """When a roll-call's programme ends: launch plus its months; a stood-down one at its close."""
    if launched_at is None or not programme:
        return closed_at
    return launched_at + int(programme.get("duration_months", 0)) * _MONTH


def rules(retention: RetentionSettings) -> list[Rule]:
    """The roll-call audit trail by age; answers once their programme ended long enough ago."""

    async def answers_of_ended(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
        closed = await session.execute(
            select(
                rollcalls.c.incident_id,
                rollcalls.c.closed_at,
                rollcalls.c.launched_at,
                rollcalls.c.programme,
            )
            .where(
                rollcalls.c.closed_at < now - retention.answers_after_close,
                exists().where(answers.c.incident_id == rollcalls.c.incident_id),
            )
            .limit(100)
        )
        ended = [
            row.incident_id
            for row in closed
            if programme_end(row.closed_at, row.launched_at, row.programme)
            < now - retention.answers_after_close
        ]
        return answers.c.incident_id.in_(ended) if ended else false()

    return [
        Rule(audit, older_than(audit.c.at, retention.rollcall_audit), "rollcall_audit"),
        Rule(answers, answers_of_ended, "answers_after_close"),
    ]


# An answer names the contact who gave it and may carry a note with a name or a phone number:
# both are blanked; the organisation's answer itself stays on the roll-call's record.
PERSONAL_DATA = (
    PersonalData(
        answers,
        organisation=answers.c.organisation_id,
        contact=answers.c.contact_id,
        erase={"contact_id": None, "note": None},
    ),
)
