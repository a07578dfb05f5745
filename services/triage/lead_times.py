"""Which source told first: per incident reported by several sources, the source whose report
first brought it to each level, and how many minutes before the other sources' first report.

Replays take each report when its source published it (`known_at`), so these are the lead
times a live system would have had, as far as the saved documents date their reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from uuid import UUID

from schemas.activations import Level
from schemas.hazards import Source
from services.triage.backtest import known_at
from services.triage.engine import Processed

_LEVELS = (Level.WATCH, Level.STANDBY, Level.ACTIVATE)


@dataclass
class _Track:
    title: str = ""
    first_seen: dict[Source, datetime] = field(default_factory=dict)
    reached: dict[Level, tuple[datetime, Source]] = field(default_factory=dict)


@dataclass(frozen=True)
class Lead:
    """One level of one incident: who reached it first, and how far ahead of each other source."""

    incident: UUID
    title: str
    level: Level
    first: Source
    ahead_min: dict[Source, float]


class LeadTimes:
    """Collect outcomes of a replay; say per level which source told first, and by how much."""

    def __init__(self) -> None:
        self.tracks: dict[UUID, _Track] = {}

    def add(self, outcome: Processed) -> None:
        event = outcome.event
        track = self.tracks.setdefault(outcome.incident.id, _Track())
        when = known_at(event)
        track.first_seen.setdefault(event.source, when)
        if outcome.stale:
            return
        track.title = track.title or event.title
        for level in _LEVELS:
            if outcome.decision.level >= level:
                track.reached.setdefault(level, (when, event.source))

    def leads(self) -> list[Lead]:
        found: list[Lead] = []
        for incident, track in self.tracks.items():
            if len(track.first_seen) < 2:
                continue
            for level, (when, source) in sorted(track.reached.items(), key=lambda kv: kv[0].rank):
                ahead = {
                    other: (seen - when).total_seconds() / 60
                    for other, seen in track.first_seen.items()
                    if other is not source
                }
                found.append(Lead(incident, track.title, level, source, ahead))
        return found

    def lines(self) -> list[str]:
        leads = self.leads()
        if not leads:
            return ["lead time: no incident was reported by more than one source"]
        out = [
            "lead time (incidents several sources reported): the source that first brought the"
            " incident to a level, and minutes before each other source's first report",
            f"{'incident':<8}  {'level':<8} {'first':<9} {'ahead of':<28} title",
        ]
        for lead in leads:
            ahead = ", ".join(f"{s.value} {m:+.0f} min" for s, m in sorted(lead.ahead_min.items()))
            out.append(
                f"{str(lead.incident)[:8]:<8}  {lead.level.value:<8} {lead.first.value:<9} "
                f"{ahead:<28} {lead.title[:60]}"
            )
        by_source: dict[Source, list[float]] = {}
        for lead in leads:
            by_source.setdefault(lead.first, []).extend(lead.ahead_min.values())
        for source, minutes in sorted(by_source.items()):
            out.append(
                f"{source.value} first at {sum(1 for lead in leads if lead.first is source)} "
                f"level(s), median {median(minutes):+.0f} min ahead"
            )
        return out
