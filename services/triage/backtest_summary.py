"""What a backtest adds up to: per level, incidents, disasters and unplaced reports; lead times;
late episodes; and, given the disasters a platform responded to, recall and precision.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from schemas.activations import Level
from services.triage.backtest import known_at
from services.triage.engine import Processed
from services.triage.expectations import Expected
from services.triage.incidents import Incident

#: An item published this long after its event began is a late episode.
LATE = timedelta(hours=24)
_LEVELS = (Level.WATCH, Level.STANDBY, Level.ACTIVATE)


@dataclass
class _Track:
    incident: Incident
    highest: Level = Level.NONE
    reached: dict[Level, timedelta] = field(default_factory=dict)


@dataclass
class Tally:
    """Outcomes of one replay, added up."""

    tracks: dict[UUID, _Track] = field(default_factory=dict)
    items: int = 0
    late: int = 0
    undated: int = 0

    def add(self, outcome: Processed) -> None:
        """Count one decision."""
        event, incident = outcome.event, outcome.incident
        self.items += 1
        if event.published_at is None:
            self.undated += 1
        elif event.published_at - event.event_time > LATE:
            self.late += 1
        track = self.tracks.get(incident.id)
        if track is None:
            track = self.tracks[incident.id] = _Track(incident)
        level = outcome.decision.level
        if level > track.highest:
            track.highest = level
        start = incident.first_seen or event.event_time
        for step in _LEVELS:
            if level >= step and step not in track.reached:
                track.reached[step] = max(known_at(event) - start, timedelta(0))

    def at_least(self, level: Level) -> list[Incident]:
        """The incidents whose decision reached a level at some point."""
        return [t.incident for t in self.tracks.values() if t.highest >= level]

    def lines(self, expected: list[Expected] | None = None, *, days: int = 7) -> list[str]:
        """Render the summary."""
        out = [f"{'highest level':<14} {'incidents':>9} {'disasters':>9} {'unplaced':>9}"]
        for level in reversed(_LEVELS):
            tracks = [t for t in self.tracks.values() if t.highest is level]
            disasters = _disasters([t.incident for t in tracks])
            unplaced = sum(1 for t in tracks if not t.incident.countries)
            out.append(f"{level.value:<14} {len(tracks):>9,} {disasters:>9,} {unplaced:>9,}")
        for level in (Level.STANDBY, Level.ACTIVATE):
            waits = sorted(t.reached[level] for t in self.tracks.values() if level in t.reached)
            if waits:
                middle = timedelta(seconds=statistics.median(w.total_seconds() for w in waits))
                out.append(
                    f"time from event start to {level.value}: median {_hours(middle)},"
                    f" longest {_hours(max(waits))} ({len(waits):,} incidents)"
                )
        if self.late:
            out.append(
                f"{self.late:,} of {self.items:,} items were published over {LATE.total_seconds() / 3600:.0f} h "
                "after their event began (late episodes): they are replayed when published, so "
                "lead times count from then; an archive of last episodes understates how early a live "
                "feed would have told"
            )
        if self.undated:
            out.append(
                f"{self.undated:,} items carry no publication time and are replayed at their "
                "event's start: their lead times may be overstated"
            )
        if expected:
            out += self._judged(expected, days)
        return out

    def _judged(self, expected: list[Expected], days: int) -> list[str]:
        incidents = [t.incident for t in self.tracks.values()]
        levels = {t.incident.id: t.highest for t in self.tracks.values()}
        answers = {e.line: [i for i in incidents if e.answered_by(i, days)] for e in expected}

        def best(e: Expected) -> Level:
            return max((levels[i.id] for i in answers[e.line]), default=Level.NONE)

        standby = [e for e in expected if best(e) >= Level.STANDBY]
        activate = [e for e in expected if best(e) >= Level.ACTIVATE]
        activated = [i for i in incidents if levels[i.id] >= Level.ACTIVATE]
        responded = [i for i in activated if any(i in answers[e.line] for e in expected)]
        found = [e for e in expected if answers[e.line]]
        out = [
            f"expected disasters: {len(expected)} ({len(found)} found in the replayed items)",
            f"recall at ≥ standby: {_share(len(standby), len(found))}; "
            f"at activate: {_share(len(activate), len(found))}",
            f"activations responded to: {_share(len(responded), len(activated))}",
        ]
        missed = [e for e in found if e not in standby]
        if missed:
            out.append(
                "below standby: "
                + "; ".join(f"{e.label} (line {e.line}, {best(e).value})" for e in missed)
            )
        return out


def _disasters(incidents: list[Incident]) -> int:
    # Incidents that share a GLIDE event number are one disaster the merge kept apart.
    seen: set[str] = set()
    count = 0
    for incident in incidents:
        if incident.glides and not incident.glides.isdisjoint(seen):
            continue
        seen.update(incident.glides)
        count += 1
    return count


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"
