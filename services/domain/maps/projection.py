"""Fit a region of the globe into a picture: an equirectangular view around the incident.

Longitudes are taken relative to the view's centre, so a map of Fiji or Kamchatka is one
piece: a point or a polygon is shifted by 360° to the side of the antimeridian nearest the
centre. East–west distances are scaled by the cosine of the centre's latitude, which keeps
countries their familiar shape at the regional scales these maps show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.domain.maps.world import Bounds, Point, Ring

MIN_SPAN_DEG = 9.0  # the narrowest view: a quake's country and its neighbours
MAX_LAT = 84.0


def wrap(lon: float, centre: float) -> float:
    """The longitude equal to `lon` that lies within 180° of `centre`."""
    return centre + (lon - centre + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, slots=True)
class View:
    """Degrees to pixels: the centre of the view, its scale and the picture's size."""

    lon0: float
    lat0: float
    scale: float  # pixels per degree of latitude
    kx: float  # cos(lat0): pixels per degree of longitude, as a share of `scale`
    width: int
    height: int

    def xy(self, lon: float, lat: float) -> Point:
        """Project a point, taking the longitude nearest the view's centre."""
        return self.x(wrap(lon, self.lon0)), self.y(lat)

    def x(self, lon: float) -> float:
        return self.width / 2 + (lon - self.lon0) * self.kx * self.scale

    def y(self, lat: float) -> float:
        return self.height / 2 - (lat - self.lat0) * self.scale

    def shift_for(self, bounds: Bounds) -> float:
        """The multiple of 360° that brings a polygon nearest the centre."""
        middle = (bounds[0] + bounds[2]) / 2
        return wrap(middle, self.lon0) - middle

    def sees(self, bounds: Bounds, shift: float) -> bool:
        """Say whether a polygon (shifted by `shift`) shows in the picture."""
        left, right = self.x(bounds[0] + shift), self.x(bounds[2] + shift)
        top, bottom = self.y(bounds[3]), self.y(bounds[1])
        return right >= 0 and left <= self.width and bottom >= 0 and top <= self.height

    def ring(self, ring: Ring, shift: float) -> list[Point]:
        return [(self.x(lon + shift), self.y(lat)) for lon, lat in ring]

    def inside(self, lon: float, lat: float, margin: float = 0) -> bool:
        x, y = self.xy(lon, lat)
        return margin <= x <= self.width - margin and margin <= y <= self.height - margin


def fit(points: list[Point], width: int, height: int, pad: float = 0.12) -> View:
    """The view that shows every point with a margin, centred on the first one's side of
    the antimeridian, never narrower than MIN_SPAN_DEG."""
    if not points:
        return View(0.0, 20.0, height / 150.0, 1.0, width, height)
    anchor = points[0][0]
    lons = [wrap(lon, anchor) for lon, _ in points]
    lats = [max(-MAX_LAT, min(MAX_LAT, lat)) for _, lat in points]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    kx = max(math.cos(math.radians(lat0)), 0.2)
    span_x = max((max(lons) - min(lons)) * kx, MIN_SPAN_DEG * width / height)
    span_y = max(max(lats) - min(lats), MIN_SPAN_DEG)
    scale = min(width / span_x, height / span_y) * (1 - 2 * pad)
    return View(wrap(lon0, 0.0), lat0, scale, kx, width, height)
