"""The service (incidents rebuilt from its database per message) decides exactly as the backtest does."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from benchmarks.synthetic import generate_history
from services.common.db import Database
from services.common.service import build_context
from services.common.settings import Settings, TriageSettings
from services.triage.backtest import fact_context, in_time_order, replay
from services.triage.handlers import TriageHandlers, merge_policy
from services.triage.models import DecisionRow, IncidentMemberRow
from tests.unit.triage.builders import SHIPPED_CRITERIA, shipped

SERVICE = "triage"


async def test_a_generated_history_gets_the_same_decisions_and_incidents_from_both(
    database: Database, tmp_path: Path
) -> None:
    # Dense enough that reports contend for incidents: ~6 disasters a day over 20 countries.
    events = in_time_order(generate_history(600, seed=5).events)
    criteria = shipped()
    offline = [
        (
            o.event.key,
            o.event.version,
            o.decision.level.value,
            o.activation is not None,
            o.incident.id,
        )
        for o in replay(events, criteria)
    ]

    settings = Settings(var_dir=tmp_path, triage=TriageSettings(criteria_file=SHIPPED_CRITERIA))
    handlers = TriageHandlers(
        build_context("triage", settings, db=database),
        criteria,
        fact_context(criteria),
        merge_policy(72, 500),
    )
    for event in events:
        await handlers.on_hazard(event)
    async with database.sessions() as session:
        rows = (await session.execute(select(DecisionRow).order_by(DecisionRow.id))).scalars().all()
        homes = dict(
            (
                await session.execute(
                    select(IncidentMemberRow.source_key, IncidentMemberRow.incident_id)
                )
            ).all()
        )
    online = [
        (r.source_key, r.version, r.level, r.outcome == "broadcast", r.incident_id) for r in rows
    ]

    assert [line[:4] for line in online] == [line[:4] for line in offline]
    assert [line[4] for line in online] == [str(line[4]) for line in offline]
    assert {key: str(incident) for key, *_, incident in offline} == homes
