"""USGS features decoded typed (usgs_shapes) to HazardEvents, the usual feature without a dict.

msgspec has checked each value's type, so a feature whose every value is also plain (an id
USGS would give, times and numbers in range, clean id lists, a known status and PAGER level)
is normalised here with a few comparisons. Any other feature is handed, as the dict the
untyped decoding would have given, to `usgs.normalise`, which repairs, drops or refuses it
as ever: this module never decides anything the other does not (decision 0745; a test holds
both to the same events on every real capture and on generated features).
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from schemas.hazards import HazardEvent
from services.ingester.sources.base import ParseResult
from services.ingester.sources.gdacs_rss import ItemMemo
from services.ingester.sources.usgs import (
    EARLIEST_MS,
    EVENT_ID,
    EXACT_INT,
    EXTRA_SCALARS,
    LATEST_MS,
    MAGNITUDE_RANGE,
    STATUSES,
    clean_list,
    clipped,
    entries,
    event,
    kind_of,
    links_of,
    pager_level,
    pager_of,
    read_features,
    severity_of,
    shared_entries,
    title_of,
)
from services.ingester.sources.usgs import normalise as untyped_normalise
from services.ingester.sources.usgs_shapes import Collection, Feature, as_dict


def parse(collection: Collection, memo: ItemMemo | None = None) -> ParseResult:
    """Normalise a collection `usgs_shapes.decode` accepted, as `usgs.parse` would the same
    document decoded untyped."""
    result = ParseResult(kind=kind_of(collection.metadata["url"]))
    features = collection.features
    return read_features(result, features, memo, _points(features), _Typed)


def _points(features: list[Feature]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for feature in features:
        geometry = feature.geometry
        coordinates = geometry.coordinates if geometry is not None else None
        if coordinates is not None and len(coordinates) >= 2:
            lon, lat = coordinates[0], coordinates[1]
            if -180 <= lon <= 180 and -90 <= lat <= 90:
                points.append((float(lat), float(lon)))
    return points


_scalars = attrgetter(*EXTRA_SCALARS)


class _Typed:
    @staticmethod
    def key(feature: Feature) -> tuple[str, str]:
        return str(feature.id), str(feature.properties.updated)

    @staticmethod
    def label(feature: Feature) -> str | None:
        return feature.id

    @staticmethod
    def normalise(
        feature: Feature, dropped: list[str], *, now: datetime, message_id: UUID
    ) -> HazardEvent:
        built = _plain(feature, now, message_id)
        if built is None:
            return untyped_normalise(as_dict(feature), dropped, now=now, message_id=message_id)
        return built


def _plain(feature: Feature, now: datetime, message_id: UUID) -> HazardEvent | None:
    """The event of a feature every value of which is plain; None when one is not (which
    `usgs.normalise` reads, with the reason, the repair or the drop it calls for)."""
    # Checked inline rather than by a helper a value: a call costs about what its check
    # does (decision 0746).
    props = feature.properties
    preferred, listed = feature.id, props.ids
    if preferred is None or listed is None or not EVENT_ID.match(preferred):
        return None
    origin_ms, updated_ms = props.time, props.updated
    if not (type(origin_ms) is int and EARLIEST_MS <= origin_ms <= LATEST_MS) or (
        updated_ms is not None
        and not (type(updated_ms) is int and EARLIEST_MS <= updated_ms <= LATEST_MS)
    ):
        return None
    status = props.status
    if status is not None and status not in STATUSES:
        return None
    scalars = _scalars(props)
    _, _, mag_type, felt, cdi, mmi, sig, tsunami, kind = scalars
    magnitude = props.mag
    if magnitude is not None:
        # Compared before the conversion: an integer past a float's range compares exactly.
        if not MAGNITUDE_RANGE[0] <= magnitude <= MAGNITUDE_RANGE[1]:
            return None
        magnitude = float(magnitude)
    if (mmi is not None and not 0 <= mmi <= 12) or (sig is not None and not 0 <= sig <= 10_000):
        return None
    # A number kept as an extra is kept as read, but an integer past a float's exact range
    # is the other path's to judge (msgspec's floats are finite: it declines the rest).
    if (
        (type(felt) is int and not -EXACT_INT <= felt <= EXACT_INT)
        or (type(cdi) is int and not -EXACT_INT <= cdi <= EXACT_INT)
        or (type(tsunami) is int and not -EXACT_INT <= tsunami <= EXACT_INT)
    ):
        return None
    level = pager_level(props.alert) if props.alert is not None else None
    point = _point(feature)
    lists = _lists(preferred, listed, props.sources, props.types)
    if point is None or lists is None or (level is None and props.alert is not None):
        return None
    lat, lon, depth = point
    place = clipped(props.place, 200)
    return event(
        message_id,
        now,
        preferred,
        origin_ms,
        updated_ms,
        kind,
        title_of(props.title, magnitude, place, preferred),
        place,
        lat,
        lon,
        severity_of(magnitude, clipped(mag_type, 10)),
        status,
        links_of(props.url, props.detail),
        pager_of(level, _float(mmi), tsunami, _float(sig), None),
        _extras(scalars, lists, depth, place),
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


_Point = tuple[float | None, float | None, float | None]
_NO_POINT: _Point = (None, None, None)


def _point(feature: Feature) -> _Point | None:
    """(lat, lon, depth) of a plain point, no point at all, or None for one to repair."""
    geometry = feature.geometry
    coordinates = geometry.coordinates if geometry is not None else None
    if coordinates is None:
        return _NO_POINT
    if len(coordinates) < 2:
        return None
    lon, lat = coordinates[0], coordinates[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    if len(coordinates) < 3:
        return float(lat), float(lon), None
    depth = coordinates[2]
    # Compared before the conversion, as the magnitude.
    return (float(lat), float(lon), float(depth)) if -15 <= depth <= 1000 else None


_Lists = tuple[list[str], tuple[str, ...], tuple[str, ...]]
_NONE: tuple[tuple[str, ...], bool] = ((), False)


def _lists(
    preferred: str, listed: str, networks: str | None, products: str | None
) -> _Lists | None:
    """The event's ids (the preferred one first when `ids` leaves it out), networks and
    products; None when a list needs repairing."""
    # An event's own ids are its own: the usual list read as a list, with no copy; any
    # other entry by entry, as `usgs.normalise` reads it.
    ids = clean_list(listed)
    if ids is None:
        kept, bad = entries(listed)
        if bad:
            return None
        ids = list(kept)
    if preferred not in ids:
        ids.insert(0, preferred)
    sources, bad = shared_entries(networks) if networks is not None else _NONE
    if bad:
        return None
    types, bad = shared_entries(products) if products is not None else _NONE
    if bad:
        return None
    return ids, sources, types


def _extras(
    scalars: tuple[Any, ...], lists: _Lists, depth: float | None, place: str | None
) -> dict[str, Any]:
    """The extras, as `usgs.normalise` keeps them: the scalars in their order (text cut as
    `usgs.keep_scalars` cuts it; the numbers were checked), the lists, depth and place."""
    net, code, mag_type, felt, cdi, mmi, sig, tsunami, kind = scalars
    extras: dict[str, Any] = {}
    if net is not None:
        extras["net"] = net[:100]
    if code is not None:
        extras["code"] = code[:100]
    if mag_type is not None:
        extras["magType"] = mag_type[:100]
    if felt is not None:
        extras["felt"] = felt
    if cdi is not None:
        extras["cdi"] = cdi
    if mmi is not None:
        extras["mmi"] = mmi
    if sig is not None:
        extras["sig"] = sig
    if tsunami is not None:
        extras["tsunami"] = tsunami
    if kind is not None:
        extras["type"] = kind[:100]
    ids, sources, types = lists
    extras["ids"] = ids
    extras["sources"] = list(sources)
    extras["types"] = list(types)
    if depth is not None:
        extras["depth_km"] = depth
    if place:
        extras["place"] = place
    return extras
