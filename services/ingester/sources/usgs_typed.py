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
    _EARLIEST_MS,
    _ID,
    _LATEST_MS,
    _MAGNITUDE,
    _STATUSES,
    EXTRA_SCALARS,
    _severity,
    _text,
    entries,
    event,
    keep_depth_and_place,
    keep_scalars,
    kind_of,
    links_of,
    pager_level,
    pager_of,
    read_features,
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
    props = feature.properties
    preferred = feature.id
    if preferred is None or props.ids is None or not _ID.match(preferred):
        return None
    listed, bad_ids = entries(props.ids)
    times = _plain_times(props.time, props.updated)
    if times is None:
        return None
    origin_ms, updated_ms = times
    magnitude = _bounded(props.mag, _MAGNITUDE)
    mmi = _bounded(props.mmi, (0.0, 12.0))
    sig = _bounded(props.sig, (0.0, 10_000.0))
    alert = pager_level(props.alert) if props.alert is not None else None
    point = _point(feature)
    sources, bad_sources = shared_entries(props.sources) if props.sources is not None else _NONE
    types, bad_types = shared_entries(props.types) if props.types is not None else _NONE
    if (
        magnitude is _OUT
        or mmi is _OUT
        or sig is _OUT
        or (alert is None and props.alert is not None)
        or point is None
        or (props.status is not None and props.status not in _STATUSES)
        or bad_ids
        or bad_sources
        or bad_types
    ):
        return None
    lat, lon, depth = point
    place = _text(props.place, 200)
    extras: dict[str, Any] = {}
    keep_scalars(_scalars(props), extras)
    ids = list(listed)
    if preferred not in listed:
        ids.insert(0, preferred)
    extras["ids"] = ids
    extras["sources"] = list(sources)
    extras["types"] = list(types)
    keep_depth_and_place(depth, place, extras)
    return event(
        message_id,
        now,
        preferred,
        origin_ms,
        updated_ms,
        props.type,
        title_of(props.title, magnitude, place, preferred),
        place,
        lat,
        lon,
        _severity(magnitude, _text(props.magType, 10)),
        props.status,
        links_of(props.url, props.detail),
        pager_of(alert, mmi, props.tsunami, sig, None),
        extras,
    )


def _plain_times(origin: Any, updated: Any) -> tuple[int, int | None] | None:
    """(origin, updated) when each is an integer epoch in ms within the years the reader
    takes (or no update time); None otherwise."""
    if not (type(origin) is int and _EARLIEST_MS <= origin <= _LATEST_MS):
        return None
    if updated is not None and not (type(updated) is int and _EARLIEST_MS <= updated <= _LATEST_MS):
        return None
    return origin, updated


_NONE: tuple[tuple[str, ...], bool] = ((), False)
_OUT: Any = object()  # a number out of its bounds (`usgs.normalise` drops it)


def _bounded(value: float | None, bounds: tuple[float, float]) -> Any:
    """A number within bounds as a float, None for none, `_OUT` for any other."""
    if value is None:
        return None
    # Compared before the conversion: an integer past a float's range compares exactly.
    return float(value) if bounds[0] <= value <= bounds[1] else _OUT


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
    depth = _bounded(coordinates[2], (-15.0, 1000.0)) if len(coordinates) > 2 else None
    return None if depth is _OUT else (float(lat), float(lon), depth)
