"""One earthquake, reported by USGS and by GDACS, is one incident.

Both sources locate a quake by seismology: GDACS takes its origin from USGS's NEIC (or
another agency) and, since 2017, its shaking from the USGS ShakeMap. So their reports of one
quake agree to seconds and tens of kilometres, while two quakes of one sequence (Herat,
October 2023: four M6.3 in eight days, two the same hour) lie minutes or more apart. A
report joins another source's quake when:

- it names the same USGS event: a USGS report's ids, or the USGS event page GDACS links
  to (`earthquake.usgs.gov/earthquakes/eventpage/<id>`); else
- its origin time is within `seconds`, its point within `km`, and (where both state one)
  its magnitude within `magnitude` of the other source's report.

Country plays no part: a quake at sea has none, and two agencies may place it differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.hazards import HazardEvent, HazardType, Source
from services.triage.grouping import km_apart, magnitude

_EVENT_PAGE = re.compile(r"earthquake\.usgs\.gov/earthquakes/eventpage/([A-Za-z0-9_]{2,64})")
#: Sources that place a quake by seismology, to the second and the kilometre.
SEISMIC = frozenset({Source.GDACS, Source.USGS})


@dataclass(frozen=True)
class QuakePolicy:
    """How close two sources' reports of one quake are (2 to 10 times their usual spread)."""

    seconds: float = 120.0
    km: float = 100.0
    magnitude: float = 0.5


def usgs_ids(event: HazardEvent) -> frozenset[str]:
    """Every USGS id a report names: its own and its aliases, or the event page it links to."""
    if event.source is Source.USGS:
        ids = event.extras.get("ids")
        found = {str(i) for i in ids} if isinstance(ids, list) else set()
        found.add(event.source_id)
        preferred = event.extras.get("preferred_id")
        if isinstance(preferred, str):
            found.add(preferred)
        return frozenset(found)
    if event.hazard_type is not HazardType.EARTHQUAKE:
        return frozenset()
    return frozenset(m for link in event.links for m in _EVENT_PAGE.findall(link.url))


def same_quake(
    event: HazardEvent, held: Iterable[HazardEvent], policy: QuakePolicy
) -> tuple[float, str] | None:
    """(seconds apart, why) when a report is another seismic source's report of a quake held."""
    if event.hazard_type is not HazardType.EARTHQUAKE or event.source not in SEISMIC:
        return None
    named = usgs_ids(event)
    best: tuple[float, str] | None = None
    for other in held:
        if other.source is event.source or other.source not in SEISMIC:
            continue
        if other.hazard_type is not HazardType.EARTHQUAKE:
            continue
        seconds = abs((event.event_time - other.event_time).total_seconds())
        shared = sorted(named & usgs_ids(other))
        if shared:
            return 0.0, f"the same USGS event {shared[0]} as {other.key}"
        if seconds > policy.seconds:
            continue
        km = km_apart(event, other)
        if km is None or km > policy.km:
            continue
        ours, theirs = magnitude(event), magnitude(other)
        if ours is not None and theirs is not None and abs(ours - theirs) > policy.magnitude:
            continue
        sizes = f", M{ours:g} and M{theirs:g}" if ours is not None and theirs is not None else ""
        why = f"the same earthquake as {other.key}: {seconds:.0f} s and {km:.0f} km apart{sizes}"
        if best is None or seconds < best[0]:
            best = (seconds, why)
    return best
