"""Distance on the Earth: the one great-circle formula for placing a quake, merging reports
into an incident and finding the nearest stock."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # Rounding can put `a` a hair above 1 for points on opposite sides of the Earth.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
