"""Incidents: the reports of one disaster, from different sources and episodes, held together.

A report joins an incident when it is a new version of a report the incident holds, else
when it shares a GLIDE number, else (earthquakes) when another seismic source reported the
same quake (quakes.py), else when it is the same kind of hazard in a shared country,
within the time window and, where both have coordinates, within the distance. Two different
events of the same source never merge on proximity alone: a source that tells them apart
knows better than a radius does.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol
from uuid import UUID

from schemas.activations import Level
from schemas.hazards import (
    HazardEvent,
    HazardType,
    Source,
    alert_rank,
    compare_versions,
)
from services.domain.geo import distance_km
from services.triage.grouping import GroupingPolicy, aftershock_of, duplicate_of, flood_of_cyclone
from services.triage.quakes import SEISMIC, QuakePolicy, same_quake, usgs_ids

#: Namespace of incident and activation ids, so a replay derives the same ids.
NAMESPACE = UUID("6b1f3c8e-4a51-5e0c-9d8a-3f2b7c1e9a40")

# Sources name some hazards differently: a flash flood is a flood, a storm may be the cyclone.
_FAMILY = {HazardType.FLASH_FLOOD: HazardType.FLOOD, HazardType.STORM: HazardType.TROPICAL_CYCLONE}
_GLIDE = re.compile(r"^([A-Z]{2})-(\d{4})-(\d{6})")
# How long past its window an incident stays indexed in a replay: a report dated only by
# its month is replayed at the month's end and must still find the month's incidents.
_RETAIN = timedelta(days=32)
_DAY = timedelta(days=1)


def incident_id(first_report: str) -> UUID:
    """Name an incident after its first report: a replay derives the same id (RFC 4122 v5)."""
    digest = hashlib.sha1(NAMESPACE.bytes + first_report.encode(), usedforsecurity=False).digest()
    return UUID(bytes=digest[:16], version=5)


def hazard_family(hazard: HazardType) -> HazardType:
    """Group hazard types that sources report for the same disaster."""
    return _FAMILY.get(hazard, hazard)


@lru_cache(maxsize=65_536)
def glide_key(glide: str | None) -> str | None:
    """Reduce a GLIDE number to its event part: `FL-2024-000199-ESP` → `FL-2024-000199`.

    One multi-country disaster carries one GLIDE event number with a country suffix each.
    """
    if not glide:
        return None
    match = _GLIDE.match(glide.strip().upper())
    return "-".join(match.groups()) if match else None


def event_span(event: HazardEvent) -> tuple[datetime, datetime] | None:
    """When a report says the event happened, as a span when the source dates it loosely.

    ReliefWeb dates some disasters only by the month in their name: such a report may be
    any day of that month. A report dated only by year is too vague to place: it joins an
    incident only by GLIDE number.
    """
    precision = event.extras.get("event_time_precision")
    if precision == "month":
        start = event.event_time
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(microseconds=1)
    if precision == "year":
        return None
    return event.event_time, event.event_time


def _alarm(incident: Incident) -> tuple[int, int]:
    alert = max((alert_rank(r.alert_level) for r in incident.reports.values()), default=0)
    people = max((r.population_exposed or 0 for r in incident.reports.values()), default=0)
    return alert, people


class _LevelsRow(Protocol):
    id: str
    family: str
    level: str
    alerted_level: str
    acked_level: str


@dataclass(eq=False)
class Incident:
    """One disaster as triage knows it: its reports, and what has been decided and told."""

    id: UUID
    family: HazardType
    reports: dict[str, HazardEvent] = field(default_factory=dict)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    level: Level = Level.NONE
    score: float = 0.0
    alerted_level: Level = Level.NONE
    acked_level: Level = Level.NONE
    countries: set[str] = field(default_factory=set)
    glides: set[str] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)
    sources: set[Source] = field(default_factory=set)
    precise: bool = False
    #: Why each report after the first joined (for `standby triage-explain`).
    joined: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, event: HazardEvent, key: str | None = None) -> Incident:
        """Open an incident named after its first report."""
        key = key or event.key
        incident = cls(id=incident_id(key), family=hazard_family(event.hazard_type))
        incident.absorb(event, key)
        return incident

    def absorb(self, event: HazardEvent, key: str | None = None) -> bool:
        """Take a report (or a newer version of one); return False for a stale version."""
        key = key or event.key
        held = self.reports.get(key)
        if held is not None and compare_versions(event.version, held.version) < 0:
            return False
        self.reports[key] = event
        self._extend_times(event)
        self.countries.update(event.countries)
        key = glide_key(event.glide)
        if key:
            self.glides.add(key)
        if event.lat is not None and event.lon is not None:
            point = (event.lat, event.lon)
            if point not in self.points:
                self.points.append(point)
        self.sources.add(event.source)
        return True

    def _extend_times(self, event: HazardEvent) -> None:
        # First/last seen come from precisely dated reports once there is one: a disaster
        # ReliefWeb dates "Nov 2020" did not start on the 1st.
        span = event_span(event)
        precise = span is not None and span[0] == span[1]
        when = event.event_time
        if precise and not self.precise:
            self.precise = True
            self.first_seen = self.last_seen = when
        elif precise or not self.precise:
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)

    @classmethod
    def from_row_levels(cls, row: _LevelsRow) -> Incident:
        """Rebuild just the levels of a stored incident (enough to apply a duty call)."""
        return cls(
            id=UUID(row.id),
            family=HazardType(row.family),
            level=Level(row.level),
            alerted_level=Level(row.alerted_level),
            acked_level=Level(row.acked_level),
        )

    @property
    def source_keys(self) -> list[str]:
        return sorted(self.reports)

    @property
    def notice_floor(self) -> Level:
        """The level at or below which nothing more is broadcast: told, launched or stood down."""
        return max(self.alerted_level, self.acked_level)


@dataclass(frozen=True)
class MergePolicy:
    window: timedelta = timedelta(hours=72)
    distance_km: float = 500.0
    grouping: GroupingPolicy = field(default_factory=GroupingPolicy)
    quakes: QuakePolicy = field(default_factory=QuakePolicy)

    @property
    def longest_window(self) -> timedelta:
        """The longest time after its start that a report may still join an incident."""
        return max(self.window, timedelta(days=self.grouping.aftershock_max_days))


class IncidentBook:
    """The incidents triage holds, indexed for merging: by report, GLIDE, hazard and country."""

    def __init__(self, policy: MergePolicy | None = None) -> None:
        self.policy = policy or MergePolicy()
        self._duplicate_span = self.policy.grouping.duplicate_span
        self._aftershock_span = timedelta(days=self.policy.grouping.aftershock_max_days)
        self.incidents: dict[UUID, Incident] = {}
        self._by_key: dict[str, Incident] = {}
        self._by_glide: dict[str, Incident] = {}
        self._by_place: dict[tuple[HazardType, str], list[Incident]] = {}
        self._by_usgs: dict[str, Incident] = {}
        #: Earthquake incidents reported by a seismic source, oldest first (see `_quake_for`).
        self._quakes: list[Incident] = []

    def add(self, incident: Incident) -> None:
        """Hold an incident (new, or loaded from storage) and index it."""
        self.incidents[incident.id] = incident
        self._index(incident)

    def _index(self, incident: Incident) -> None:
        for key in incident.reports:
            self._by_key[key] = incident
        for glide in incident.glides:
            self._by_glide.setdefault(glide, incident)
        for iso3 in incident.countries:
            bucket = self._by_place.setdefault((incident.family, iso3), [])
            if incident not in bucket:
                bucket.append(incident)
        for report in incident.reports.values():
            self._index_quake(incident, report)

    def _index_quake(self, incident: Incident, event: HazardEvent) -> None:
        if event.hazard_type is not HazardType.EARTHQUAKE or event.source not in SEISMIC:
            return
        for usgs_id in usgs_ids(event):
            self._by_usgs.setdefault(usgs_id, incident)
        if incident not in self._quakes:
            self._quakes.append(incident)

    def _index_report(self, incident: Incident, event: HazardEvent, key: str) -> None:
        self._by_key[key] = incident
        self._index_quake(incident, event)
        glide = glide_key(event.glide)
        if glide is not None:
            self._by_glide.setdefault(glide, incident)
        for iso3 in event.countries:
            bucket = self._by_place.setdefault((incident.family, iso3), [])
            if incident not in bucket:
                bucket.append(incident)

    def match(self, event: HazardEvent, key: str | None = None) -> Incident | None:
        """Find the incident a report belongs to, or None for a new disaster."""
        return self.match_why(event, key)[0]

    def match_why(self, event: HazardEvent, key: str | None = None) -> tuple[Incident | None, str]:
        """Find the incident a report belongs to and say why it joins (None: a new disaster)."""
        held = self._by_key.get(key or event.key)
        if held is not None:
            return held, "a new version of a report it holds"
        glide = glide_key(event.glide)
        if glide is not None and glide in self._by_glide:
            return self._by_glide[glide], f"the same GLIDE event {glide}"
        quake = self._quake_for(event)
        if quake is not None:
            return quake
        family = hazard_family(event.hazard_type)
        candidates: list[tuple[float, Incident]] = []
        grouped: list[tuple[Incident, str]] = []
        for iso3 in event.countries:
            bucket = self._by_place.get((family, iso3))
            if not bucket:
                continue
            for incident in list(bucket):
                gap = self._time_gap(incident, event)
                if gap is not None and gap < 0:
                    # Ended long before this report: time order means it is done.
                    bucket.remove(incident)
                    continue
                if event.source in incident.sources:
                    why = self._grouped(incident, event)
                    if why is not None and all(incident is not g for g, _ in grouped):
                        grouped.append((incident, why))
                    continue
                if gap is None:
                    continue
                if self._compatible(incident, event, glide) and all(
                    incident is not c for _, c in candidates
                ):
                    candidates.append((gap, incident))
        chosen = self._choose(event, candidates)
        if chosen is not None:
            shared = ", ".join(sorted(chosen.countries & set(event.countries)))
            return chosen, f"the same {family.value} in {shared} within the merge window"
        if not grouped and family is HazardType.FLOOD:
            grouped = self._cyclone_for(event)
        elif not grouped and family is HazardType.TROPICAL_CYCLONE:
            grouped = self._floods_of(event)
        if grouped:
            return grouped[0]
        return None, ""

    def _quake_for(self, event: HazardEvent) -> tuple[Incident, str] | None:
        """The incident of the same quake as another seismic source reported it, if any."""
        if event.hazard_type is not HazardType.EARTHQUAKE or event.source not in SEISMIC:
            return None
        for usgs_id in sorted(usgs_ids(event)):
            held = self._by_usgs.get(usgs_id)
            if held is not None and event.source not in held.sources:
                return held, f"the same USGS event {usgs_id}"
        horizon = event.event_time - self.policy.window
        # Reports come roughly in time order: quakes long past can never match again.
        while self._quakes and (self._quakes[0].last_seen or event.event_time) < horizon:
            self._quakes.pop(0)
        best: tuple[float, Incident, str] | None = None
        for incident in self._quakes:
            if event.source in incident.sources and incident.sources <= {event.source}:
                continue
            found = same_quake(event, incident.reports.values(), self.policy.quakes)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], incident, found[1])
        return (best[1], best[2]) if best is not None else None

    def _grouped(self, incident: Incident, event: HazardEvent) -> str | None:
        """One source's separate event that is still this disaster: a duplicate, an aftershock."""
        first, last = incident.first_seen, incident.last_seen
        if first is None or last is None:
            return None
        # Cheap bounds first: this runs for every report against its country's incidents.
        when = event.event_time
        policy = self.policy.grouping
        if first - self._duplicate_span <= when <= last + self._duplicate_span:
            why = duplicate_of(event, incident.reports.values(), policy)
            if why is not None:
                return why
        if (
            event.hazard_type is HazardType.EARTHQUAKE
            and first - _DAY <= when <= first + self._aftershock_span
        ):
            return aftershock_of(event, incident.reports.values(), policy)
        return None

    def _floods_of(self, event: HazardEvent) -> list[tuple[Incident, str]]:
        """A cyclone reported after the flood it caused (an archive's last episode) joins it."""
        found: list[tuple[Incident, str]] = []
        track = [(event.lat, event.lon)] if event.lat is not None and event.lon is not None else []
        for iso3 in event.countries:
            for incident in self._by_place.get((HazardType.FLOOD, iso3), ()):
                for flood in incident.reports.values():
                    if flood.event_time <= event.event_time:
                        continue  # a flood that began first is not this cyclone's doing
                    why = flood_of_cyclone(
                        flood, [event], set(event.countries), track, self.policy.grouping
                    )
                    if why is not None and all(incident is not f for f, _ in found):
                        found.append((incident, f"the cyclone of {flood.key}: {why}"))
        return found

    def _cyclone_for(self, event: HazardEvent) -> list[tuple[Incident, str]]:
        found: list[tuple[Incident, str]] = []
        for iso3 in event.countries:
            for incident in self._by_place.get((HazardType.TROPICAL_CYCLONE, iso3), ()):
                why = flood_of_cyclone(
                    event,
                    incident.reports.values(),
                    incident.countries,
                    incident.points,
                    self.policy.grouping,
                )
                if why is not None and all(incident is not f for f, _ in found):
                    found.append((incident, why))
        return found

    @staticmethod
    def _choose(event: HazardEvent, candidates: list[tuple[float, Incident]]) -> Incident | None:
        """Pick the incident a report joins among those that fit, or none if it is a guess.

        A report placed by the hour and the kilometre joins the closest in time. One without
        coordinates or dated only by month (ReliefWeb's) describes a disaster significant
        enough for an editor to open a page: it joins the most alarming candidate, and joins
        none when two are equally alarming.
        """
        if len(candidates) <= 1:
            return candidates[0][1] if candidates else None
        span = event_span(event)
        placed = event.lat is not None and event.lon is not None
        if placed and span is not None and span[0] == span[1]:
            return min(candidates, key=lambda c: c[0])[1]
        ranked = sorted(candidates, key=lambda c: _alarm(c[1]), reverse=True)
        if _alarm(ranked[0][1])[0] == _alarm(ranked[1][1])[0]:
            return None
        return ranked[0][1]

    def file(self, event: HazardEvent) -> tuple[Incident, bool, bool]:
        """Put a report into its incident; return (incident, created, changed)."""
        key = event.key
        incident, why = self.match_why(event, key)
        if incident is None:
            incident = Incident.start(event, key)
            self.add(incident)
            return incident, True, True
        fresh = key not in incident.reports
        changed = incident.absorb(event, key)
        if changed:
            if fresh:
                incident.joined[key] = why
            self._index_report(incident, event, key)
        return incident, False, changed

    def _time_gap(self, incident: Incident, event: HazardEvent) -> float | None:
        """Hours between the report and the incident; None if they cannot be one event.

        Only incidents with a precisely dated report are placed in time: two loose dates
        prove nothing. A loosely dated report (a month) joins an incident that began within
        that month; the window is for clocks that disagree by hours, not for guessing. A
        negative gap marks an incident so far in the past that, with reports in time
        order, nothing can join it any more.
        """
        span = event_span(event)
        if span is None or not incident.precise:
            return None
        assert incident.first_seen is not None and incident.last_seen is not None
        start, end = span
        window = self.policy.window
        if start != end:
            return 0.0 if start <= incident.first_seen <= end else None
        if start > incident.last_seen + window + _RETAIN:
            return -1.0
        if start > incident.last_seen + window or start < incident.first_seen - window:
            return None
        if incident.first_seen <= start <= incident.last_seen:
            return 0.0
        edge = incident.last_seen if start > incident.last_seen else incident.first_seen
        return abs((start - edge).total_seconds()) / 3600

    def _compatible(self, incident: Incident, event: HazardEvent, glide: str | None) -> bool:
        if event.source in incident.sources:
            return False
        # Two seismic sources agree to the minute and kilometre (quakes.py): a country and
        # a 72-hour window would merge the quakes of one sequence.
        if (
            event.hazard_type is HazardType.EARTHQUAKE
            and event.source in SEISMIC
            and incident.sources & (SEISMIC - {event.source})
        ):
            return False
        if glide is not None and incident.glides and glide not in incident.glides:
            return False
        if event.lat is None or event.lon is None or not incident.points:
            return True
        limit = self.policy.distance_km
        return any(
            distance_km(lat, lon, event.lat, event.lon) <= limit for lat, lon in incident.points
        )
