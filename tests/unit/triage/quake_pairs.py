"""Generated USGS and GDACS reports of the same quakes, perturbed as the real feeds differ.

Each quake gets a USGS report (origin to the millisecond, point within ~5 km, magnitude
within 0.1 of the truth) and, after 10-40 min, a GDACS report (origin within seconds, or
half a minute when another agency's origin was taken; point within ~10 km, sometimes 40;
magnitude within ~0.2, sometimes 0.4; 3 % grossly off, 120-200 km or 0.7 in magnitude;
half of them linking the USGS event page). Quakes
crowd into a dozen seismic regions, and a third come as sequences: a quake of similar size
minutes to hours later, tens of kilometres away (the hard negatives). Quakes stay at M5.5 or below,
where triage groups no aftershocks (grouping.py), even with the noise on the magnitude:
truth is then one quake, one incident.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from schemas.hazards import AlertLevel, HazardEvent, HazardType, Link, Measure, Source
from tests.unit.triage.builders import T0

# (lat, lon, iso3 or None at sea)
REGIONS = [
    (35.7, 139.7, "JPN"), (-6.2, 106.8, "IDN"), (14.6, 121.0, "PHL"), (-33.4, -70.6, "CHL"),
    (37.0, 37.0, "TUR"), (34.5, 62.0, "AFG"), (28.2, 84.7, "NPL"), (19.4, -99.1, "MEX"),
    (-41.3, 174.8, "NZL"), (40.6, -124.9, None), (-20.0, -175.0, None), (52.0, 160.0, None),
]  # fmt: skip


@dataclass
class Generated:
    events: list[HazardEvent]
    truth: dict[str, int]


def _moved(lat: float, lon: float, km: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = km / 111.0 * math.cos(bearing)
    dlon = km / (111.0 * max(0.2, math.cos(math.radians(lat)))) * math.sin(bearing)
    return lat + dlat, lon + dlon


def quake_pairs(quakes: int, seed: int) -> Generated:
    rng = random.Random(seed)
    events: list[HazardEvent] = []
    truth: dict[str, int] = {}
    at = T0
    previous: tuple[float, float, float] | None = None
    for number in range(quakes):
        if previous is not None and rng.random() < 0.33:
            lat, lon = _moved(previous[0], previous[1], rng.uniform(20, 150), rng)
            at += timedelta(minutes=rng.uniform(3, 240))
            size = min(5.5, max(4.5, previous[2] + rng.uniform(-0.3, 0.3)))
        else:
            base_lat, base_lon, _ = rng.choice(REGIONS)
            lat, lon = _moved(base_lat, base_lon, rng.uniform(0, 300), rng)
            at += timedelta(minutes=rng.expovariate(1 / 40))
            size = round(rng.uniform(4.5, 5.5), 1)
        previous = (lat, lon, size)
        iso3 = min(REGIONS, key=lambda r: (r[0] - lat) ** 2 + (r[1] - lon) ** 2)[2]
        usgs_id = f"us7{number:07d}"
        u_lat, u_lon = _moved(lat, lon, abs(rng.gauss(0, 5)), rng)
        usgs = HazardEvent(
            source=Source.USGS,
            source_id=usgs_id,
            version=str(int(at.timestamp() * 1000) + 1),
            hazard_type=HazardType.EARTHQUAKE,
            title=f"M {size:.1f} - generated",
            countries=[iso3] if iso3 else [],
            lat=u_lat,
            lon=u_lon,
            severity=Measure(value=round(size + rng.uniform(-0.1, 0.1), 1), unit="M"),
            status="automatic",
            event_time=at,
            published_at=at + timedelta(minutes=rng.uniform(5, 25)),
            extras={"ids": [usgs_id]},
        )
        other_agency = rng.random() < 0.1
        offset = rng.uniform(-30, 30) if other_agency else rng.gauss(0, 3)
        far = rng.random() < 0.1
        g_lat, g_lon = _moved(lat, lon, rng.uniform(20, 40) if far else abs(rng.gauss(0, 10)), rng)
        spread, g_size = (0.4 if rng.random() < 0.1 else 0.2), size
        if rng.random() < 0.03:  # another agency's solution, far off in place or size
            if rng.random() < 0.5:
                g_lat, g_lon = _moved(lat, lon, rng.uniform(120, 200), rng)
            else:
                spread, g_size = 0.0, size - 0.7  # lower: no report reaches M6
        gdacs = HazardEvent(
            source=Source.GDACS,
            source_id=f"EQ:{1_400_000 + number}",
            version="1",
            hazard_type=HazardType.EARTHQUAKE,
            title=f"Green alert: generated {number}",
            countries=[iso3] if iso3 else [],
            lat=max(-90.0, min(90.0, g_lat)),
            lon=((g_lon + 180) % 360) - 180,
            alert_level=AlertLevel.GREEN,
            severity=Measure(value=round(g_size + rng.uniform(-spread, spread), 1), unit="M"),
            event_time=at + timedelta(seconds=offset),
            published_at=at + timedelta(minutes=rng.uniform(10, 40)),
            links=(
                [
                    Link(
                        rel="neic_report",
                        url=f"http://earthquake.usgs.gov/earthquakes/eventpage/{usgs_id}",
                    )
                ]
                if rng.random() < 0.5
                else []
            ),
        )
        for event in (usgs, gdacs):
            events.append(event)
            truth[event.key] = number
    return Generated(events, truth)
