"""One great-circle distance for placing a quake, merging reports and finding stock."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from services.domain.geo import EARTH_RADIUS_KM, distance_km

lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)
HALF_WAY_ROUND = math.pi * EARTH_RADIUS_KM


def test_tokyo_to_osaka_and_the_antipodes() -> None:
    assert round(distance_km(35.68, 139.69, 34.69, 135.50)) == 396
    # Opposite points, where rounding could take the formula past its domain.
    assert math.isclose(distance_km(0.0, 0.0, 0.0, 180.0), HALF_WAY_ROUND)
    assert math.isclose(distance_km(45.0, 10.0, -45.0, -170.0), HALF_WAY_ROUND)


@given(lats, lons, lats, lons)
def test_a_distance_is_symmetric_and_never_more_than_half_way_round(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    there = distance_km(lat1, lon1, lat2, lon2)
    assert math.isclose(there, distance_km(lat2, lon2, lat1, lon1), abs_tol=1e-6)
    assert 0.0 <= there <= HALF_WAY_ROUND + 1e-6
