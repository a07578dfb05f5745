"""The table of known places that puts a point in a country: the same answers as
reverse-geocode's own search, without a Python object for each of its ~150,000 places."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import reverse_geocode

from services.domain.geo import distance_km
from services.ingester import places

REPO = Path(__file__).resolve().parents[3]

# Corners, poles, the antimeridian, open sea, a border town, places on the table itself.
_EDGES = [
    (0.0, 0.0),
    (90.0, 180.0),
    (-90.0, -180.0),
    (0.0, 180.0),
    (0.0, -180.0),
    (35.0, 139.0),
    (37.2, 37.0),
    (-54.8, -68.3),
    (64.1, -21.9),
    (31.77, 35.21),
]


def _as_the_package_answers(points: list[tuple[float, float]]) -> list[tuple[str, float] | None]:
    iso3_of = places._iso2_to_iso3()
    answers: list[tuple[str, float] | None] = []
    for (lat, lon), known in zip(points, reverse_geocode.search(points), strict=True):
        iso3 = iso3_of.get(known["country_code"])
        at = (float(known["latitude"]), float(known["longitude"]))
        answers.append(None if iso3 is None else (iso3, distance_km(lat, lon, *at)))
    return answers


def test_every_point_gets_the_country_and_distance_the_package_gives() -> None:
    rng = random.Random(2026)
    anywhere = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(4000)]
    # Where people live, points fall between many close places: ties and near ties.
    near_places = [
        (lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05))
        for lat, lon in (anywhere[i] for i in range(0, 4000, 4))
    ] + [(round(rng.uniform(30, 50), 1), round(rng.uniform(0, 40), 1)) for _ in range(2000)]
    points = _EDGES + anywhere + near_places
    table = places._Geocoder()
    assert table._search(points) == _as_the_package_answers(points)
    # One at a time, as `at_point` asks, is the same as in a batch.
    assert [table.nearest(lat, lon) for lat, lon in _EDGES] == table._search(_EDGES)


# In a fresh interpreter: one that has loaded reverse-geocode's own table already (as the
# test above does) would show nothing new whatever the table kept.
_HELD = """
import gc, tracemalloc
import numpy, scipy.spatial  # their modules are not the table
from services.ingester import places

gc.collect()
tracemalloc.start()
places.nearest_place(35.0, 139.0)
gc.collect()
print(tracemalloc.get_traced_memory()[0])
"""


def test_the_table_keeps_no_object_per_place() -> None:
    # As reverse-geocode keeps it (a dict a place) it holds ~90 MB; as arrays ~11 MB.
    out = subprocess.run(
        [sys.executable, "-c", _HELD], capture_output=True, text=True, check=True, cwd=REPO
    )
    held = int(out.stdout)
    assert held < 25 * 2**20, f"{held / 2**20:.0f} MB held by the table"
