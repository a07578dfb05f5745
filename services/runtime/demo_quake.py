"""The demo's earthquake as triage holds it: USGS told first, GDACS joined the same incident.

Read from triage's own tables once GDACS's report has been decided on: the reports, why the
second joined, every decision with its reasons (naming both sources), and the one alert.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from schemas.activations import Activation
from services.common.db import Database
from services.common.settings import Settings
from services.triage.models import DecisionRow
from services.triage.report import explain_lines


async def quake_lines(settings: Settings, quake: Activation, *, wait_s: float = 10.0) -> list[str]:
    """Explain the quake's incident once both sources' reports were decided on."""
    db = Database(
        settings.database_url_for("triage"),
        "triage",
        schema=settings.database_schema_for("triage"),
    )
    incident = str(quake.incident_id)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            async with db.sessions() as session:
                sources = await session.scalar(
                    select(func.count(func.distinct(DecisionRow.source_key))).where(
                        DecisionRow.incident_id == incident
                    )
                )
            if (sources or 0) >= 2 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        lines = await explain_lines(db, incident)
    finally:
        await db.dispose()
    return ["one incident for the earthquake (triage):", *(f"  {line}" for line in lines)]
