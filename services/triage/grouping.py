"""One incident per disaster, even when one source files it as several events.

A source tells its own events apart, so two events of one source normally stay two
incidents. Three patterns are one disaster all the same, and each is recognised here:

- **Aftershocks**: an earthquake within the space-time window of a larger one. Windows
  follow Uhrhammer (1986), the declustering windows used with the ISC and USGS catalogues:
  distance `exp(-1.024 + 0.804 M)` km and time `exp(-2.87 + 1.235 M)` days for the main
  shock's magnitude M (M 7.8: 190 km, M 7: 100 km, M 6: 45 km). The time window is capped
  at `aftershock_max_days` (30): a response lasts about that long, and a quake months
  later is a new decision for the duty officer. Below M 6 (`aftershock_min_magnitude`)
  nothing is grouped: such windows are a few kilometres and days, the quakes rarely alert,
  and grouping them could only hide a separate event. Nepal 2015: the M 7.3 of 12 May, 17 days
  and ~150 km from the M 7.8 of 25 April, is its aftershock.
- **Duplicate records**: the same hazard from the same source at nearly the same time and
  place (GDACS has filed one quake twice, seconds and ~30 km apart).
- **A cyclone and its floods**: a flood that starts while an orange or red cyclone is
  reported or within `flood_after_cyclone_days` (3) of its end, in a country the cyclone
  hit, within `flood_from_cyclone_km` (300) of a point of its track. A cyclone known by one
  position only (a names-only archive keeps just its last episode) may have passed anywhere
  within a day's travel of it: there the flood may lie `flood_from_lone_point_km` (600) away
  (Komen 2015: its last position off Bangladesh, Myanmar's floods 315 km east). A green
  storm's rain is no disaster of its own making; the flood then stands alone.

Each test returns a sentence saying why the report joined, for `standby triage-explain`,
or None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.hazards import HazardEvent, HazardType, alert_rank
from services.domain.geo import distance_km

_DEFAULT_MAGNITUDE = 6.0
_ORANGE = 2


@dataclass(frozen=True)
class GroupingPolicy:
    """The windows within which one source's separate events are one disaster."""

    aftershock_max_days: float = 30.0
    aftershock_min_magnitude: float = 6.0
    duplicate_seconds: float = 300.0
    duplicate_km: float = 100.0
    flood_after_cyclone_days: float = 3.0
    flood_from_cyclone_km: float = 300.0
    flood_from_lone_point_km: float = 600.0

    @property
    def duplicate_span(self) -> timedelta:
        return timedelta(seconds=self.duplicate_seconds)


def aftershock_window(magnitude: float) -> tuple[float, float]:
    """Uhrhammer (1986): (distance km, days) within which smaller quakes are aftershocks."""
    return math.exp(-1.024 + 0.804 * magnitude), math.exp(-2.87 + 1.235 * magnitude)


def magnitude(report: HazardEvent) -> float | None:
    """An earthquake report's magnitude, when the source states it in M."""
    severity = report.severity
    if severity is None or severity.value is None or (severity.unit or "").upper() != "M":
        return None
    return severity.value


def km_apart(a: HazardEvent, b: HazardEvent) -> float | None:
    """How far apart two reports' points are; None when either has none."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    return distance_km(a.lat, a.lon, b.lat, b.lon)


def _nearest(
    report: HazardEvent, others: Iterable[HazardEvent]
) -> tuple[float, HazardEvent] | None:
    if report.lat is None or report.lon is None:
        return None
    best: tuple[float, HazardEvent] | None = None
    for other in others:
        if other.lat is None or other.lon is None:
            continue
        km = distance_km(report.lat, report.lon, other.lat, other.lon)
        if best is None or km < best[0]:
            best = (km, other)
    return best


def _days(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 86400


def duplicate_of(
    report: HazardEvent, held: Iterable[HazardEvent], policy: GroupingPolicy
) -> str | None:
    """Say why a report is another record of an event the incident holds, if it is one."""
    for other in held:
        if other.source is not report.source or other.hazard_type is not report.hazard_type:
            continue
        seconds = abs((report.event_time - other.event_time).total_seconds())
        if seconds > policy.duplicate_seconds:
            continue
        km = km_apart(report, other)
        if km is not None and km <= policy.duplicate_km:
            return f"duplicate record of {other.key}: same hazard {seconds:.0f} s and {km:.0f} km apart"
    return None


def aftershock_of(
    report: HazardEvent, held: Iterable[HazardEvent], policy: GroupingPolicy
) -> str | None:
    """Say why an earthquake is an aftershock (or foreshock) of the incident's main shock."""
    quakes = [r for r in held if r.hazard_type is HazardType.EARTHQUAKE]
    if report.hazard_type is not HazardType.EARTHQUAKE or not quakes:
        return None
    main = max(quakes, key=lambda r: magnitude(r) or 0.0)
    strongest = max(magnitude(main) or _DEFAULT_MAGNITUDE, magnitude(report) or 0.0)
    if strongest < policy.aftershock_min_magnitude:
        return None
    reach_km, reach_days = aftershock_window(strongest)
    reach_days = min(reach_days, policy.aftershock_max_days)
    first = min(q.event_time for q in quakes)
    days = _days(report.event_time, first)
    if not -1.0 <= days <= reach_days:
        return None
    nearest = _nearest(report, quakes)
    if nearest is None or nearest[0] > reach_km:
        return None
    shown = magnitude(report)
    near = "" if nearest[1] is main else f"{nearest[1].key}, in the zone of "
    return (
        f"aftershock{f' M{shown:g}' if shown else ''} {days:.0f} days after and {nearest[0]:.0f} km "
        f"from {near}{main.key} (M{magnitude(main) or _DEFAULT_MAGNITUDE:g}; window "
        f"{reach_days:.0f} days, {reach_km:.0f} km)"
    )


def flood_of_cyclone(
    report: HazardEvent,
    held: Iterable[HazardEvent],
    countries: set[str],
    track: Iterable[tuple[float, float]],
    policy: GroupingPolicy,
) -> str | None:
    """Say why a flood is the cyclone's own: in its days, its countries and near its track."""
    if report.hazard_type not in (HazardType.FLOOD, HazardType.FLASH_FLOOD):
        return None
    storms = [r for r in held if r.hazard_type in (HazardType.TROPICAL_CYCLONE, HazardType.STORM)]
    if not storms or countries.isdisjoint(report.countries):
        return None
    if max(alert_rank(s.alert_level) for s in storms) < _ORANGE:
        return None
    start = min(s.event_time for s in storms)
    end = max((s.end_time or s.event_time) for s in storms)
    if (
        not start - timedelta(days=1)
        <= report.event_time
        <= end + timedelta(days=policy.flood_after_cyclone_days)
    ):
        return None
    # Every position the cyclone was reported at, not only its latest episode's.
    points = list(track)
    km = (
        min((distance_km(report.lat, report.lon, lat, lon) for lat, lon in points), default=None)
        if report.lat is not None and report.lon is not None
        else None
    )
    limit = policy.flood_from_cyclone_km if len(points) > 1 else policy.flood_from_lone_point_km
    if km is not None and km > limit:
        return None
    where = f", {km:.0f} km from its track" if km is not None else ""
    shared = ", ".join(sorted(countries & set(report.countries)))
    return f"flood caused by cyclone {storms[0].key}: in its days and in {shared}{where}"
