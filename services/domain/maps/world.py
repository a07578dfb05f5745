"""Country outlines from Natural Earth 1:110m (see data/PROVENANCE.md), read once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

# The outlines live beside the other country tables (services/common/data).
_TABLE = Path(__file__).parents[2] / "common" / "data" / "world-110m.json"

Point = tuple[float, float]
Ring = tuple[Point, ...]
Bounds = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@dataclass(frozen=True, slots=True)
class Polygon:
    """One piece of a country: its outer ring, then its holes, in (lon, lat)."""

    rings: tuple[Ring, ...]
    bounds: Bounds

    def contains(self, lon: float, lat: float) -> bool:
        """Say whether the point lies inside (even-odd over every ring, so holes count)."""
        min_lon, min_lat, max_lon, max_lat = self.bounds
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return _crossings(self.rings, lon, lat) % 2 == 1


@dataclass(frozen=True, slots=True)
class CountryShape:
    iso3: str
    name: str
    label: Point
    polygons: tuple[Polygon, ...]

    def contains(self, lon: float, lat: float) -> bool:
        """Say whether the point lies inside the country, on either side of the antimeridian."""
        return any(p.contains(x, lat) for p in self.polygons for x in (lon, lon - 360, lon + 360))


def _crossings(rings: tuple[Ring, ...], x: float, y: float) -> int:
    count = 0
    for ring in rings:
        for (x0, y0), (x1, y1) in pairwise(ring):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                count += 1
    return count


def _decode(flat: list[int], scale: float) -> Ring:
    x = y = 0
    points = []
    for i in range(0, len(flat), 2):
        x, y = x + flat[i], y + flat[i + 1]
        points.append((x / scale, y / scale))
    return tuple(points)


def _bounds(ring: Ring) -> Bounds:
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


@lru_cache(maxsize=1)
def world() -> dict[str, CountryShape]:
    """Return every country's shape by ISO3, decoded once."""
    table = json.loads(_TABLE.read_text(encoding="utf-8"))
    scale = float(table["scale"])
    shapes = {}
    for iso3, country in table["countries"].items():
        polygons = []
        for polygon in country["polygons"]:
            rings = tuple(_decode(ring, scale) for ring in polygon)
            polygons.append(Polygon(rings, _bounds(rings[0])))
        label = country["label"]
        shapes[iso3] = CountryShape(iso3, country["name"], (label[0], label[1]), tuple(polygons))
    return shapes


def country_at(lon: float, lat: float) -> str | None:
    """Name the ISO3 of the country whose outline holds the point, if any does."""
    for iso3, shape in world().items():
        if shape.contains(lon, lat):
            return iso3
    return None
