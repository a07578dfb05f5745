"""A generated history of hazard reports with known ground truth, for benchmarks and merge tests.

Each generated disaster is reported by GDACS (one to four episodes) and often by ReliefWeb,
with the imperfections of the real feeds: GLIDE numbers that only some reports carry,
ReliefWeb dates known only to the month, coordinates on one side only. Disasters of the same
kind in the same country days apart make the confusers a merge must tell apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.hazards import AlertLevel, HazardEvent, HazardType, Measure, Source
from services.triage.grouping import GroupingPolicy, aftershock_window, distance_km

# A spread of countries where the platform's hazards strike, with a point inside each.
_PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("PHL", "Philippines", 12.0, 122.5),
    ("IDN", "Indonesia", -2.5, 118.0),
    ("JPN", "Japan", 36.5, 138.5),
    ("BGD", "Bangladesh", 23.7, 90.4),
    ("IND", "India", 22.0, 79.0),
    ("NPL", "Nepal", 28.2, 84.0),
    ("PAK", "Pakistan", 30.0, 70.0),
    ("VNM", "Viet Nam", 16.0, 107.5),
    ("MMR", "Myanmar", 21.0, 96.0),
    ("CHN", "China", 33.0, 104.0),
    ("TUR", "Türkiye", 39.0, 35.0),
    ("HTI", "Haiti", 19.0, -72.5),
    ("MEX", "Mexico", 23.0, -102.0),
    ("USA", "United States of America", 38.0, -97.0),
    ("MOZ", "Mozambique", -18.0, 35.0),
    ("MDG", "Madagascar", -19.0, 46.7),
    ("KEN", "Kenya", 0.5, 38.0),
    ("PER", "Peru", -9.2, -75.0),
    ("FJI", "Fiji", -17.7, 175.0),
    ("VUT", "Vanuatu", -16.0, 167.0),
)
_HAZARDS = (
    (HazardType.EARTHQUAKE, 0.35, "M", (4.5, 7.8)),
    (HazardType.TROPICAL_CYCLONE, 0.15, "km/h", (60, 260)),
    (HazardType.FLOOD, 0.25, None, (0, 0)),
    (HazardType.WILDFIRE, 0.15, "ha", (1000, 50000)),
    (HazardType.VOLCANO, 0.05, "VEI", (1, 4)),
    (HazardType.DROUGHT, 0.05, None, (0, 0)),
)
_ALERTS = ((AlertLevel.GREEN, 0.85), (AlertLevel.ORANGE, 0.12), (AlertLevel.RED, 0.03))
_GLIDE_SHARE = {AlertLevel.GREEN: 0.1, AlertLevel.ORANGE: 0.5, AlertLevel.RED: 0.8}
_RELIEFWEB_SHARE = {AlertLevel.GREEN: 0.03, AlertLevel.ORANGE: 0.8, AlertLevel.RED: 1.0}


_ZONE_LIFE = timedelta(days=GroupingPolicy().aftershock_max_days)


@dataclass(frozen=True)
class _Zone:
    """Where and when a disaster's aftershocks or floods belong to it."""

    disaster: int
    hazard: HazardType
    iso3: str
    lat: float
    lon: float
    when: datetime
    km: float
    days: float

    @classmethod
    def of(
        cls,
        disaster: int,
        hazard: HazardType,
        alert: AlertLevel,
        iso3: str,
        lat: float,
        lon: float,
        when: datetime,
        severity: Measure | None,
    ) -> _Zone | None:
        policy = GroupingPolicy()
        magnitude = severity.value if severity and severity.value is not None else 0.0
        if hazard is HazardType.EARTHQUAKE and magnitude >= policy.aftershock_min_magnitude:
            km, days = aftershock_window(magnitude)
            return cls(disaster, HazardType.EARTHQUAKE, iso3, lat, lon, when, km,
                       min(days, policy.aftershock_max_days))  # fmt: skip
        if hazard is HazardType.TROPICAL_CYCLONE and alert is not AlertLevel.GREEN:
            return cls(disaster, HazardType.FLOOD, iso3, lat, lon, when,
                       policy.flood_from_cyclone_km, policy.flood_after_cyclone_days)  # fmt: skip
        return None

    def holds(self, hazard: HazardType, iso3: str, lat: float, lon: float, when: datetime) -> bool:
        return (
            hazard is self.hazard
            and iso3 == self.iso3
            and (when - self.when).total_seconds() <= self.days * 86400
            and distance_km(lat, lon, self.lat, self.lon) <= self.km
        )


@dataclass(frozen=True)
class History:
    """Reports in time order, and which disaster each report key truly belongs to."""

    events: list[HazardEvent]
    truth: dict[str, int]


def generate_history(
    n_events: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    disasters_per_day: float = 6.0,
    reliefweb_share: float = 0.9,
) -> History:
    """Generate about `n_events` reports of disasters with known identities."""
    rng = random.Random(seed)
    when = start or datetime(2020, 1, 1, tzinfo=UTC)
    events: list[HazardEvent] = []
    truth: dict[str, int] = {}
    disaster = 0
    hazards = [h for h, _, _, _ in _HAZARDS]
    weights = [w for _, w, _, _ in _HAZARDS]
    zones: list[_Zone] = []
    while len(events) < n_events:
        disaster += 1
        when += timedelta(hours=rng.expovariate(disasters_per_day / 24))
        hazard = rng.choices(hazards, weights)[0]
        _, _, unit, (low, high) = next(h for h in _HAZARDS if h[0] is hazard)
        iso3, name, lat0, lon0 = rng.choice(_PLACES)
        lat = lat0 + rng.uniform(-3, 3)
        lon = lon0 + rng.uniform(-3, 3)
        alert = rng.choices([a for a, _ in _ALERTS], [w for _, w in _ALERTS])[0]
        glide = f"{hazard.value}-{when.year}-{disaster % 1_000_000:06d}-{iso3}"
        # GDACS attaches GLIDE numbers mostly to significant events; ReliefWeb opens pages
        # mostly for those too, and then usually carries the GLIDE number.
        gdacs_glide = glide if rng.random() < _GLIDE_SHARE[alert] else None
        people = int(rng.lognormvariate(11, 2))
        if hazard is HazardType.EARTHQUAKE:
            # Gutenberg-Richter (b = 1): each magnitude unit up is ten times rarer, as in the
            # catalogues; a uniform draw would make every fifth quake an M7 with a 100 km,
            # 30-day aftershock zone around it.
            value = min(high, low - math.log10(1 - rng.random()))
        else:
            value = rng.uniform(low, high)
        severity = Measure(value=round(value, 1), unit=unit) if unit else None
        event_id = 1_000_000 + disaster
        for episode in range(1, rng.randint(1, 4) + 1):
            events.append(
                HazardEvent(
                    source=Source.GDACS,
                    source_id=f"{hazard.value}:{event_id}",
                    version=str(episode),
                    hazard_type=hazard,
                    title=f"{alert.value.capitalize()} {hazard.value} alert in {name}",
                    countries=[iso3],
                    country_names=[name],
                    lat=round(lat + rng.uniform(-0.3, 0.3), 4),
                    lon=round(lon + rng.uniform(-0.3, 0.3), 4),
                    alert_level=alert,
                    alert_score=alert.rank - 0.5,
                    severity=severity,
                    population_exposed=people,
                    glide=gdacs_glide,
                    event_time=when,
                    occurred_at=when + timedelta(hours=6 * (episode - 1)),
                )
            )
        # An aftershock in a larger quake's zone, or a flood in an orange or red cyclone's
        # days and path, is that disaster's (services/triage/grouping.py defines both as the
        # catalogues do); ReliefWeb files it under the same page.
        zones = [z for z in zones if when - z.when <= _ZONE_LIFE]
        parent = next((z.disaster for z in zones if z.holds(hazard, iso3, lat, lon, when)), None)
        truth[f"gdacs:{hazard.value}:{event_id}"] = parent or disaster
        if parent is None:
            zone = _Zone.of(disaster, hazard, alert, iso3, lat, lon, when, severity)
            if zone is not None:
                zones.append(zone)
        if parent is None and rng.random() < reliefweb_share * _RELIEFWEB_SHARE[alert]:
            key = 100_000 + disaster
            loose = rng.random() < 0.5
            relief_time = (
                when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
                if loose
                else when + timedelta(hours=rng.uniform(-12, 36))
            )
            events.append(
                HazardEvent(
                    source=Source.RELIEFWEB,
                    source_id=str(key),
                    version="1",
                    hazard_type=hazard,
                    title=f"{name}: {hazard.value} - {when:%b %Y}",
                    countries=[iso3],
                    country_names=[name],
                    glide=glide if rng.random() < 0.7 else None,
                    status=rng.choice(["alert", "current", "current", "past"]),
                    event_time=relief_time,
                    extras={"event_time_precision": "month"} if loose else {},
                )
            )
            truth[f"reliefweb:{key}"] = disaster
    return History(events[:n_events], truth)


@dataclass(frozen=True)
class MergeScore:
    """Pairwise merge quality: of the report pairs put together, how many belong together."""

    precision: float
    recall: float
    predicted_pairs: int
    true_pairs: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} recall {self.recall:.3f} "
            f"({self.predicted_pairs:,} pairs merged, {self.true_pairs:,} true pairs)"
        )


def pair_scores(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> MergeScore:
    """Score a clustering of report keys against the true one, over the keys both know."""
    keys = [k for k in predicted if k in truth]
    both: dict[tuple[Hashable, Hashable], int] = {}
    by_predicted: dict[Hashable, int] = {}
    by_truth: dict[Hashable, int] = {}
    for key in keys:
        p, t = predicted[key], truth[key]
        both[(p, t)] = both.get((p, t), 0) + 1
        by_predicted[p] = by_predicted.get(p, 0) + 1
        by_truth[t] = by_truth.get(t, 0) + 1

    def pairs(counts: Mapping[Any, int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    agreed, merged, true = pairs(both), pairs(by_predicted), pairs(by_truth)
    return MergeScore(
        precision=agreed / merged if merged else 1.0,
        recall=agreed / true if true else 1.0,
        predicted_pairs=merged,
        true_pairs=true,
    )
