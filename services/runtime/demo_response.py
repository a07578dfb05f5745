"""The demo's roll-call part: the plans and stock matched to each incident it alerted about."""

from __future__ import annotations

from pathlib import Path

from schemas.activations import Activation, Level
from services.common.members_file import load_member_directory
from services.domain.plans import match_incident


def plan_lines(activations: list[Activation], members_file: Path) -> list[str]:
    """Name each organisation's standby plans and nearest stock that match each incident."""
    directory = load_member_directory(members_file)
    # An incident once, as its latest activation (an upgrade) describes it.
    latest = {a.incident_id: a for a in activations if a.level >= Level.STANDBY}
    lines = []
    for a in latest.values():
        s = a.summary
        matches = match_incident(directory, s)
        for org_id, match in matches.items():
            for plan in match.plans:
                stock = match.stock[0].supply if match.stock else None
                nearest = (
                    f"; nearest stock {stock.item} ×{stock.quantity:,} at {stock.place}"
                    if stock
                    else ""
                )
                lines.append(
                    f"  - plan match [{s.hazard_type.value} {','.join(s.countries)}] {org_id}: {plan.title_en}{nearest}"
                )
    return lines
