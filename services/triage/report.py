"""What triage knows, for operators: incidents by level, and one incident's decisions with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from schemas.activations import Level
from services.common.db import Database
from services.triage.models import ActivationRow, DecisionRow, IncidentMemberRow, IncidentRow

RowT = TypeVar("RowT", IncidentMemberRow, DecisionRow, ActivationRow)


async def incident_lines(
    db: Database, *, at_least: Level = Level.WATCH, limit: int = 50
) -> list[str]:
    """List incidents at or above a level, most recently seen first."""
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(IncidentRow)
                .where(IncidentRow.level_rank >= at_least.rank)
                .order_by(IncidentRow.last_seen.desc())
                .limit(limit)
            )
        ).scalars()
        lines = [
            f"{'incident':<36}  {'last seen (UTC)':<16}  {'level':<8} {'score':>5}  "
            f"{'told':<8} {'duty':<10} {'countries':<11}  title"
        ]
        for row in rows:
            lines.append(
                f"{row.id:<36}  {row.last_seen:%Y-%m-%d %H:%M}  {row.level:<8} {row.score:>5.0f}  "
                f"{row.alerted_level:<8} {row.ack_state or '-':<10} "
                f"{','.join(row.countries)[:11] or '-':<11}  {row.title[:80]}"
            )
    return lines


async def explain_lines(db: Database, incident: str) -> list[str]:
    """Show an incident's reports, every decision taken on it and why, and what was broadcast."""
    async with db.sessions() as session:
        matches = (
            (
                await session.execute(
                    select(IncidentRow).where(IncidentRow.id.startswith(incident)).limit(2)
                )
            )
            .scalars()
            .all()
        )
        if len(matches) != 1:
            return [
                f"no incident matches {incident!r}" if not matches else f"{incident!r} is ambiguous"
            ]
        row = matches[0]
        members = await _of_incident(
            session, IncidentMemberRow, row.id, IncidentMemberRow.event_time
        )
        decisions = await _of_incident(session, DecisionRow, row.id, DecisionRow.id)
        told = await _of_incident(session, ActivationRow, row.id, ActivationRow.created_at)
        lines = [
            f"incident {row.id}: {row.title}",
            f"  countries {', '.join(row.countries) or '-'}; first seen {row.first_seen:%Y-%m-%d %H:%M} UTC; "
            f"level {row.level} (score {row.score:.0f}); told {row.alerted_level}; duty {row.ack_state or '-'}",
            "reports:",
        ]
        for m in members:
            lines.append(f"  {m.source_key} version {m.version} ({m.event_time:%Y-%m-%d %H:%M})")
            if m.joined_because:
                lines.append(f"      grouped: {m.joined_because}")
        lines.append("decisions:")
        for d in decisions:
            lines.append(
                f"  {d.decided_at:%Y-%m-%d %H:%M:%S}  {d.source_key} v{d.version}: {d.previous_level} → "
                f"{d.level} (score {d.score:.0f}), {d.outcome}"
            )
            lines += [f"      - {r['sentence']}  [{r['rule']}]" for r in d.reasons]
        lines.append("activations:")
        lines += [
            f"  {a.created_at:%Y-%m-%d %H:%M:%S}  {a.level} (after {a.previous_level})  {a.activation_id}"
            for a in told
        ] or ["  none"]
    return lines


async def _of_incident(
    session: AsyncSession, model: type[RowT], incident_id: str, order: InstrumentedAttribute[Any]
) -> Sequence[RowT]:
    """The incident's rows of one table, in the order of one of its columns."""
    found = await session.execute(
        select(model).where(model.incident_id == incident_id).order_by(order)
    )
    return found.scalars().all()
