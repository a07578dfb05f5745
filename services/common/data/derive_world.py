"""Derive `world-110m.json` from Natural Earth's 1:110m countries (run by hand, rarely).

The maps read only the derived file: country outlines keyed by ISO3, in hundredths of a
degree, each ring delta-encoded, with a point inside each country to hang a label or a
member's marker on. The source is the npm package `world-atlas` (Natural Earth 4.1.0 as
TopoJSON, public domain); see PROVENANCE.md beside this file. To re-derive:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python services/common/data/derive_world.py /tmp/package/countries-110m.json \
        > services/common/data/world-110m.json
"""

from __future__ import annotations

import csv
import json
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent
SCALE = 100  # hundredths of a degree: finer than the 1:110m source (~0.1° between points)
# Antarctica circles the pole: no plane polygon draws it, and no response goes there.
_LEFT_OUT = {"Antarctica"}
# Natural Earth's de facto units without a numeric code, folded into the state the UN and
# the disaster feeds name (GDACS reports Somaliland as Somalia); Kosovo keeps the code the
# feeds use.
_UNCODED = {"N. Cyprus": "CYP", "Somaliland": "SOM", "Kosovo": "XKX"}

Point = tuple[float, float]
Ring = list[Point]


def _iso3_by_m49() -> dict[int, str]:
    with (_HERE / "countries.csv").open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {int(row["m49"]): row["iso3"] for row in rows if row["m49"]}


def _decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Undo TopoJSON's quantisation and delta encoding: arcs of (lon, lat)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[Point]], indexes: list[int]) -> Ring:
    ring: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return _unwrapped(ring)


def _unwrapped(ring: Ring) -> Ring:
    """Make longitudes continuous: a ring that crosses the antimeridian (Fiji, Chukotka)
    jumps from 180 to -180 in the source; here it runs on past 180 instead, so every
    ring is one plane polygon the map can shift by 360° as a whole."""
    out: Ring = []
    shift = 0.0
    for lon, lat in ring:
        if out:
            step = lon + shift - out[-1][0]
            if step > 180:
                shift -= 360
            elif step < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


# TopoJSON rings are closed (the last point repeats the first): pairs cover every edge.
def _area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2


def _inside(ring: Ring, x: float, y: float) -> bool:
    hit = False
    for (x0, y0), (x1, y1) in pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def _label(ring: Ring) -> Point:
    """A point inside the ring: its centroid, else the middle of its widest span at that
    latitude (a crescent's centroid lies outside it)."""
    area = _area(ring)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        cx, cy = cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
    cx, cy = cx / (6 * area), cy / (6 * area)
    if _inside(ring, cx, cy):
        return cx, cy
    crossings = sorted(
        x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0), (x1, y1) in pairwise(ring)
        if (y0 > cy) != (y1 > cy)
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=True))
    left, right = max(spans, key=lambda s: s[1] - s[0])
    return (left + right) / 2, cy


def _encode(ring: Ring) -> list[int]:
    """Round to hundredths of a degree, drop repeats, delta-encode as flat integers."""
    flat: list[int] = []
    last: tuple[int, int] | None = None
    for lon, lat in ring:
        here = (round(lon * SCALE), round(lat * SCALE))
        if here == last:
            continue
        flat.extend(here if last is None else (here[0] - last[0], here[1] - last[1]))
        last = here
    return flat


def derive(topology: dict[str, Any]) -> dict[str, Any]:
    """Turn the world-atlas topology into the compact per-country table."""
    arcs = _decode_arcs(topology)
    iso3_of = _iso3_by_m49()
    polygons_of: dict[str, list[list[Ring]]] = {}
    names: dict[str, str] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        if name in _LEFT_OUT:
            continue
        code = geometry.get("id")
        iso3 = iso3_of[int(code)] if code else _UNCODED[name]
        names.setdefault(iso3, name)
        parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        polygons_of.setdefault(iso3, []).extend(
            [_ring(arcs, ring) for ring in polygon] for polygon in parts
        )
    countries = {}
    for iso3 in sorted(polygons_of):
        polygons = polygons_of[iso3]
        largest = max(polygons, key=lambda p: abs(_area(p[0])))
        lon, lat = _label(largest[0])
        countries[iso3] = {
            "name": names[iso3],
            "label": [round(lon, 2), round(lat, 2)],
            "polygons": [[_encode(ring) for ring in polygon] for polygon in polygons],
        }
    return {
        "source": "Natural Earth 4.1.0 Admin 0 countries 1:110m, via npm world-atlas 2.0.2",
        "license": "public domain",
        "scale": SCALE,
        "countries": countries,
    }


def main() -> None:
    """Read the world-atlas TopoJSON named on the command line, write the table to stdout."""
    topology = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    json.dump(derive(topology), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
