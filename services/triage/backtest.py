"""Replay saved feed documents through the triage engine, offline, in time order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from schemas.activations import Level
from schemas.hazards import HazardEvent, version_key
from services.common.errors import StandbyError
from services.triage.criteria import Criteria
from services.triage.engine import Processed, Triage
from services.triage.facts import FactContext, Presence
from services.triage.incidents import MergePolicy, event_span

DOCUMENT_SUFFIXES = frozenset({".xml", ".rss", ".json", ".geojson"})


class BacktestError(StandbyError):
    """A backtest cannot run: no documents, or none readable."""


def find_documents(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders (recursively) into the feed documents to read, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in DOCUMENT_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise BacktestError(f"{path}: no such file or folder")
    return found


def known_at(event: HazardEvent) -> datetime:
    """When a replay may know a report (and replays it)."""
    # When the source published it, where it says: a saved GDACS item is often its event's
    # last episode, published days after the event began, and replaying it at the start
    # would claim a lead time nobody had. A report dated only "Nov 2020" may have been
    # written any day that month: replay it at the end of the month, when it certainly
    # existed, not before the events it describes.
    if event.published_at is not None:
        return event.published_at
    span = event_span(event)
    return span[1] if span is not None else event.event_time


def in_time_order(events: Iterable[HazardEvent]) -> list[HazardEvent]:
    """Sort reports by when they were known, then each source's versions in their own order."""
    return sorted(events, key=lambda e: (known_at(e), e.key, version_key(e.version)))


def fact_context(criteria: Criteria, presence: Presence | None = None) -> FactContext:
    """Build the reference facts a criteria file decides with."""
    return FactContext(
        priority_regions=frozenset(criteria.priority_regions),
        home_countries=frozenset(criteria.home_countries),
        presence=presence or Presence(),
    )


def replay(
    events: Iterable[HazardEvent],
    criteria: Criteria,
    *,
    presence: Presence | None = None,
    policy: MergePolicy | None = None,
) -> Iterator[Processed]:
    """Decide on every report in order, exactly as the service would, and yield each outcome."""
    triage = Triage(criteria, fact_context(criteria, presence), policy=policy)
    for event in events:
        yield triage.process(event)


@dataclass(frozen=True, slots=True)
class DecisionLine:
    """One decision as the backtest prints it."""

    incident_id: str
    event: str
    sources: list[str]
    title: str
    countries: list[str]
    level: Level
    score: float
    broadcast: bool
    reasons: list[str]
    rules: list[str]
    first_seen: datetime | None
    event_time: datetime
    known_at: datetime

    @classmethod
    def of(cls, outcome: Processed) -> DecisionLine:
        incident = outcome.incident
        return cls(
            incident_id=str(incident.id),
            event=outcome.event.key,
            sources=incident.source_keys,
            title=outcome.event.title,
            countries=sorted(incident.countries),
            level=outcome.decision.level,
            score=round(outcome.decision.score, 1),
            broadcast=outcome.activation is not None,
            reasons=[r.sentence for r in outcome.decision.reasons],
            rules=list(outcome.decision.rules),
            first_seen=incident.first_seen,
            event_time=outcome.event.event_time,
            known_at=known_at(outcome.event),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "event": self.event,
            "sources": self.sources,
            "title": self.title,
            "countries": self.countries,
            "level": self.level.value,
            "score": self.score,
            "broadcast": self.broadcast,
            "reasons": self.reasons,
            "rules": self.rules,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "event_time": self.event_time.isoformat(),
            "known_at": self.known_at.isoformat(),
            "hours_after_start": round(
                (self.known_at - (self.first_seen or self.event_time)).total_seconds() / 3600, 1
            ),
        }
