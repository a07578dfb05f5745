"""USGS earthquake GeoJSON to HazardEvents: summary feeds, FDSN query results, detail documents.

One event per feature. Its `source_id` is the preferred id the document gives; every id
of the event (`ids`, comma-wrapped) travels in `extras["ids"]`, so that a preferred id that
changes after publication re-keys the event instead of making a new one (aliases.py).
The version is `updated` (epoch ms), which moves with any product; changes.py decides
which moves are news. PAGER's level, the intensity, the tsunami flag and the significance
become `HazardEvent.pager`; a detail document adds the losspager product's review status
and version, and `pager.py` the fatality and economic levels.

Everything is read defensively: a field of the wrong type, a NaN, an infinite or absurd
number is dropped (and named in `dropped_fields`), an empty alias (`,,`) is repaired, and a
feature without a readable id or origin time is refused with its reason.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID, SafeUUID, uuid4

from schemas.base import utcnow
from schemas.hazards import HazardEvent, HazardType, Link, Measure, Pager, PagerLevel, Source
from services.ingester import places
from services.ingester.sources.base import (
    DocumentReason,
    ItemError,
    ItemReason,
    ParseResult,
    Rejection,
    document_error,
    drop_field,
    plausible_coordinate,
)
from services.ingester.sources.gdacs_rss import ItemMemo
from services.ingester.trusted import FieldsSet, laid

KIND_SUMMARY = "usgs-summary"
KIND_FDSN = "usgs-fdsn"
KIND_DETAIL = "usgs-detail"

#: A USGS event id: network code and event code (`us7000ngi1`, `ci38457511`,
#: `official20110311054624120_30`). Anything else is not an id this reader trusts.
EVENT_ID = re.compile(r"^[A-Za-z0-9_\-]{2,64}$")
_ID_LIST = re.compile(r",(?:[A-Za-z0-9_\-]{2,64},)+")
_isfinite = math.isfinite
EXACT_INT = 2**53  # an integer a float holds exactly (one past a float's range does not convert)
STATUSES = frozenset({"automatic", "reviewed", "deleted"})
_PAGER_LEVELS = {level.value: level for level in PagerLevel}
EARLIEST_MS = -2_208_988_800_000  # 1900-01-01
LATEST_MS = 7_258_118_400_000  # 2200-01-01
# Magnitudes run from about -2 (tiny local events) to 9.5 (Chile 1960).
MAGNITUDE_RANGE = (-5.0, 10.5)
# Products whose arrival makes the detail document worth fetching.
DETAIL_TRIGGERS = ("losspager", "shakemap")
_MAX_LIST = 64
EXTRA_SCALARS = ("net", "code", "magType", "felt", "cdi", "mmi", "sig", "tsunami", "type")


def looks_like(document: Any) -> bool:
    """A USGS FeatureCollection or Feature: its metadata names USGS, or its first feature's
    properties carry USGS's own fields (`ids`, `types`, `mag`)."""
    if not isinstance(document, dict) or document.get("type") not in (
        "Feature",
        "FeatureCollection",
    ):
        return False
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and "earthquake.usgs.gov" in str(metadata.get("url", "")):
        return True
    if document.get("type") == "Feature":
        first: Any = document
    else:
        features = document.get("features")
        first = features[0] if isinstance(features, list) and features else None
    props = first.get("properties") if isinstance(first, dict) else None
    return (
        isinstance(props, dict) and "ids" in props and "mag" in props and "eventtype" not in props
    )


def parse(document: dict[str, Any], memo: ItemMemo | None = None) -> ParseResult:
    """Normalise a USGS document (already JSON-decoded) whose shape `looks_like` accepted.

    With a poller's memo, a feature whose `updated` has not moved since the last document is
    the event read then (a summary feed repeats nearly all of itself every minute).
    """
    if document.get("type") == "Feature":
        result = ParseResult(kind=KIND_DETAIL)
        features: Any = [document]
    else:
        metadata = document.get("metadata")
        url = str(metadata.get("url", "")) if isinstance(metadata, dict) else ""
        result = ParseResult(kind=kind_of(url))
        features = document.get("features")
        if not isinstance(features, list):
            raise document_error(DocumentReason.BAD_SHAPE, "`features` is not a list")
    return read_features(result, features, memo, _points(features), _Untyped)


def kind_of(url: str) -> str:
    """A collection's kind, by the URL its metadata gives."""
    return KIND_FDSN if "fdsnws" in url else KIND_SUMMARY


class FeatureReader(Protocol):
    """How `read_features` sees one form of feature (a decoded dict, a typed shape)."""

    @staticmethod
    def key(feature: Any) -> tuple[str, str] | None:
        """The feature's (id, updated) as a poller's memo keys it."""

    @staticmethod
    def label(feature: Any) -> str | None:
        """The feature's own id, to name it in a rejection."""

    @staticmethod
    def normalise(
        feature: Any, dropped: list[str], *, now: datetime, message_id: UUID
    ) -> HazardEvent: ...


def read_features(
    result: ParseResult,
    features: list[Any],
    memo: ItemMemo | None,
    points: list[tuple[float, float]],
    reader: type[FeatureReader],
) -> ParseResult:
    """Each feature to an event or a rejection, in the document's order."""
    known = memo.features if memo is not None else {}
    places.prefetch_points(points)
    # One clock reading and one draw of random bytes a document, not one a feature.
    now = utcnow()
    ids = _message_ids(len(features))
    for index, feature in enumerate(features):
        if known:
            # The very event (its message id too): it is published again only if it never
            # was (a failed transaction), so the id has not gone out.
            recalled = known.get(reader.key(feature))  # type: ignore[arg-type]
            if recalled is not None:
                result.events.append(recalled)
                continue
        try:
            result.events.append(
                reader.normalise(feature, result.dropped_fields, now=now, message_id=ids[index])
            )
        except ItemError as err:
            where = reader.label(feature)
            label = f"feature {index}" + (f" ({where[:40]})" if where is not None else "")
            result.rejections.append(Rejection(err.reason, err.detail, label))
    return result


class _Untyped:
    """Features as the untyped JSON decoding gives them: anything at all."""

    @staticmethod
    def key(feature: Any) -> tuple[str, str] | None:
        if not isinstance(feature, dict):
            return None
        props = feature.get("properties")
        updated = props.get("updated") if isinstance(props, dict) else None
        return str(feature.get("id")), str(updated)

    @staticmethod
    def label(feature: Any) -> str | None:
        where = feature.get("id") if isinstance(feature, dict) else None
        return where if isinstance(where, str) else None

    @staticmethod
    def normalise(
        feature: Any, dropped: list[str], *, now: datetime, message_id: UUID
    ) -> HazardEvent:
        return normalise(feature, dropped, now=now, message_id=message_id)


def _points(features: list[Any]) -> list[tuple[float, float]]:
    """The (lat, lon) of every feature whose point is plainly readable, to look up at once."""
    points: list[tuple[float, float]] = []
    for feature in features:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            lon, lat = _finite(coordinates[0]), _finite(coordinates[1])
            if lon is not None and lat is not None and -180 <= lon <= 180 and -90 <= lat <= 90:
                points.append((lat, lon))
    return points


# Version 4 (random) UUIDs made as `UUID(bytes=…, version=4)` makes them, without its
# argument checks: a few hundred a document.
_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_V4_SET = (0x8000 << 48) | (4 << 76)
_new = object.__new__
_set = object.__setattr__
_UNKNOWN = SafeUUID.unknown  # bound once: reading a member from its enum class is a call


def _message_ids(count: int) -> list[UUID]:
    """`count` random (version 4) UUIDs from one read of the system's random source."""
    pool = os.urandom(16 * count)
    ids: list[UUID] = []
    for start in range(0, 16 * count, 16):
        uuid = _new(UUID)
        _set(uuid, "int", int.from_bytes(pool[start : start + 16]) & _V4_CLEAR | _V4_SET)
        _set(uuid, "is_safe", _UNKNOWN)
        ids.append(uuid)
    return ids


def normalise(
    feature: Any,
    dropped: list[str],
    *,
    now: datetime | None = None,
    message_id: UUID | None = None,
) -> HazardEvent:
    """One feature to one event; ItemError says why a feature cannot be one."""
    if not isinstance(feature, dict):
        raise ItemError(ItemReason.BAD_VALUE, "a feature that is not an object")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ItemError(ItemReason.BAD_VALUE, "a feature without properties")
    extras: dict[str, Any] = {}
    preferred = _preferred_id(feature.get("id"))
    ids = _id_list("ids", props.get("ids"), extras, dropped)
    if preferred not in ids:
        ids.insert(0, preferred)
    origin_ms, updated_ms = _times(props.get("time"), props.get("updated"))
    magnitude = _number("mag", props.get("mag"), MAGNITUDE_RANGE, extras, dropped)
    mag_type = clipped(props.get("magType"), 10)
    place = clipped(props.get("place"), 200)
    lat, lon, depth = _point(feature.get("geometry"), extras, dropped)
    status = _status(props.get("status"), extras, dropped)
    keep_scalars([props.get(name) for name in EXTRA_SCALARS], extras)
    extras["ids"] = ids
    extras["sources"] = _id_list("sources", props.get("sources"), extras, dropped, shared=True)
    extras["types"] = _id_list("types", props.get("types"), extras, dropped, shared=True)
    keep_depth_and_place(depth, place, extras)
    return event(
        message_id or uuid4(),
        now or utcnow(),
        preferred,
        origin_ms,
        updated_ms,
        props.get("type"),
        title_of(props.get("title"), magnitude, place, preferred),
        place,
        lat,
        lon,
        severity_of(magnitude, mag_type),
        status,
        links_of(props.get("url"), props.get("detail")),
        _pager(props, extras, dropped),
        extras,
    )


# Every event's fields set, as `HazardEvent(...)` given the values of `event` would set them.
_EVENT_FIELDS = FieldsSet(
    {
        "id", "occurred_at", "produced_at", "source", "source_id", "version", "hazard_type",
        "title", "description", "countries", "lat", "lon", "severity", "status",
        "event_time", "links", "places", "pager", "published_at", "extras",
    }
)  # fmt: skip
_SOURCE = Source.USGS
# Members bound once: reading one from its enum class takes a descriptor call each time.
_EARTHQUAKE = HazardType.EARTHQUAKE
_OTHER = HazardType.OTHER
_NO_PAGER = Pager()  # the PAGER facts of a detail document that states none


def event(
    message_id: UUID,
    now: datetime,
    preferred: str,
    origin_ms: int,
    updated_ms: int | None,
    kind: str | None,
    title: str,
    place: str | None,
    lat: float | None,
    lon: float | None,
    severity: Measure | None,
    status: str | None,
    links: list[Link],
    pager: Pager | None,
    extras: dict[str, Any],
) -> HazardEvent:
    """The event, placed, laid out whole: every value was checked or bounded as it was read
    (the tests validate every real and fuzzed one again)."""
    # Placed here rather than after parsing: one event built, not built and copied.
    found = places.at_point(lat, lon) if lat is not None and lon is not None else []
    origin = _fromtimestamp(origin_ms / 1000, UTC)
    kind = clipped(kind, 40)
    state = {
        "id": message_id,
        "occurred_at": now,
        "produced_at": now,
        "schema_version": 1,
        "source": _SOURCE,
        "source_id": preferred,
        "version": str(updated_ms if updated_ms is not None else origin_ms),
        "hazard_type": _EARTHQUAKE if kind is None or kind == "earthquake" else _OTHER,
        "title": title,
        "description": place,
        "countries": [found[0].iso3] if found else [],
        "country_names": [],
        "lat": lat,
        "lon": lon,
        "bbox": None,
        "alert_level": None,
        "alert_score": None,
        "episode_alert_level": None,
        "severity": severity,
        "population": None,
        "population_exposed": None,
        "glide": None,
        "status": status,
        "is_current": None,
        "event_time": origin,
        "end_time": None,
        "links": links,
        "places": found,
        "impact": None,
        "pager": pager,
        "published_at": (
            _fromtimestamp(updated_ms / 1000, UTC) if updated_ms is not None else origin
        ),
        "extras": extras,
    }
    return laid(HazardEvent, state, _EVENT_FIELDS)


def title_of(value: Any, magnitude: float | None, place: str | None, preferred: str) -> str:
    return clipped(value, 300) or (
        f"M {magnitude:g} - {place}" if magnitude is not None and place else f"USGS {preferred}"
    )


@lru_cache(maxsize=2048)
def severity_of(magnitude: float | None, mag_type: str | None) -> Measure | None:
    """The magnitude as the event's severity, its type (mww, mb…) in the text."""
    if magnitude is None:
        return None
    return Measure(
        value=magnitude, unit="M", text=f"M {magnitude:g}{f' ({mag_type})' if mag_type else ''}"
    )


def keep_depth_and_place(depth: float | None, place: str | None, extras: dict[str, Any]) -> None:
    if depth is not None:
        extras["depth_km"] = depth
    if place:
        extras["place"] = place


def _preferred_id(value: Any) -> str:
    if isinstance(value, str) and EVENT_ID.match(value):
        return value
    if value is None:
        raise ItemError(ItemReason.MISSING_FIELD, "no id")
    raise ItemError(ItemReason.BAD_VALUE, f"id {str(value)[:40]!r} is not a USGS event id")


def _times(time: Any, updated: Any) -> tuple[int, int | None]:
    """(origin, updated) in epoch ms; the origin is required."""
    origin_ms = _epoch_ms(time)
    if origin_ms is None:
        if time is None:
            raise ItemError(ItemReason.MISSING_FIELD, "no origin time")
        raise ItemError(ItemReason.BAD_DATE, f"unreadable time {str(time)[:40]!r}")
    return origin_ms, _epoch_ms(updated)


def keep_scalars(values: Sequence[Any], extras: dict[str, Any]) -> None:
    """The values of `EXTRA_SCALARS`, in that order, kept as extras when plain."""
    for name, value in zip(EXTRA_SCALARS, values, strict=True):
        if value is None:  # most of them, in most features (felt, cdi, mmi)
            continue
        kind = type(value)
        if kind is str:
            extras[name] = value[:100]
        # The usual numbers told apart inline (a call of `_finite` each was most of the cost).
        elif (
            (kind is int and -EXACT_INT <= value <= EXACT_INT)
            or (kind is float and _isfinite(value))
            or _finite(value) is not None
        ):
            extras[name] = value


def aliases(event: HazardEvent) -> list[str]:
    """Every id USGS gives the event, the preferred one included."""
    ids = event.extras.get("ids")
    if isinstance(ids, list) and ids:
        return [str(i) for i in ids]
    return [event.source_id]


def has_product(event: HazardEvent, product: str) -> bool:
    types = event.extras.get("types")
    return isinstance(types, list) and product in types


def detail_url(event: HazardEvent) -> str | None:
    for link in event.links:
        if link.rel == "usgs-detail":
            return link.url
    return None


def pager_level(value: Any) -> PagerLevel | None:
    if not isinstance(value, str):
        return None
    return _PAGER_LEVELS.get(value.strip().lower())


def _pager(props: dict[str, Any], extras: dict[str, Any], dropped: list[str]) -> Pager | None:
    alert = pager_level(props.get("alert"))
    if props.get("alert") is not None and alert is None:
        drop_field("alert", props.get("alert"), extras, dropped)
    mmi = _number("mmi", props.get("mmi"), (0.0, 12.0), extras, dropped)
    sig = _number("sig", props.get("sig"), (0.0, 10_000.0), extras, dropped)
    return pager_of(alert, mmi, props.get("tsunami"), sig, props.get("products"))


def pager_of(
    alert: PagerLevel | None, mmi: float | None, tsunami_raw: Any, sig: float | None, products: Any
) -> Pager | None:
    """The event's PAGER facts from its checked summary values (and a detail's products)."""
    tsunami = bool(tsunami_raw) if tsunami_raw in (0, 1, True, False) else None
    significance = round(sig) if sig is not None else None
    if products is None and alert is None and mmi is None and tsunami is None and sig is None:
        return None
    pager = _summary_pager(alert, mmi, tsunami, significance)
    if products is None:
        return pager
    if isinstance(products, dict):
        pager = with_losspager(pager, products.get("losspager"))
    if pager == _NO_PAGER:
        return None
    return pager


@lru_cache(maxsize=4096)
def _summary_pager(
    alert: PagerLevel | None, mmi: float | None, tsunami: bool | None, significance: int | None
) -> Pager:
    """The PAGER facts a summary gives. Pager is immutable and a document's features share
    a few hundred combinations of them: each is built once."""
    return Pager(alert=alert, max_mmi=mmi, tsunami=tsunami, significance=significance)


def with_losspager(pager: Pager, versions: Any) -> Pager:
    """Add the preferred losspager product of a detail document (the first not deleted)."""
    if not isinstance(versions, list):
        return pager
    for product in versions:
        if not isinstance(product, dict) or str(product.get("status", "")).upper() == "DELETE":
            continue
        return losspager_version(pager, product)
    return pager


def losspager_version(pager: Pager, product: dict[str, Any]) -> Pager:
    """The PAGER facts as one losspager product version states them."""
    props = product.get("properties")
    props = props if isinstance(props, dict) else {}
    level_text = str(props.get("alertlevel") or "").strip().lower()
    level = _PAGER_LEVELS.get(level_text)
    review = str(props.get("review-status") or "").strip().lower()
    mmi = _finite(props.get("maxmmi"))
    updated = product.get("updateTime")
    return pager.model_copy(
        update={
            "alert": level or (None if level_text == "pending" else pager.alert),
            "pending": level_text == "pending",
            "reviewed": {"reviewed": True, "automatic": False}.get(review, pager.reviewed),
            "max_mmi": mmi if mmi is not None and 0 <= mmi <= 12 else pager.max_mmi,
            "version": (
                str(updated)
                if isinstance(updated, int) and not isinstance(updated, bool)
                else pager.version
            ),
        }
    )


def losspager_versions(detail: dict[str, Any]) -> list[tuple[int, Pager]]:
    """Every losspager version of a detail document (`includesuperseded`), oldest first."""
    props = detail.get("properties")
    products = props.get("products") if isinstance(props, dict) else None
    versions = products.get("losspager") if isinstance(products, dict) else None
    found: list[tuple[int, Pager]] = []
    for product in versions if isinstance(versions, list) else []:
        if not isinstance(product, dict) or str(product.get("status", "")).upper() == "DELETE":
            continue
        updated = product.get("updateTime")
        if isinstance(updated, int) and not isinstance(updated, bool):
            found.append((updated, losspager_version(Pager(), product)))
    return sorted(found, key=lambda pair: pair[0])


def links_of(url: Any, detail: Any) -> list[Link]:
    """The event page and the detail document, when they are USGS's own (each URL stripped
    as Link's validation would strip it)."""
    links: list[Link] = []
    if type(url) is str and len(url) < 500 and url.startswith(_USGS_SITE):
        links.append(laid(Link, {"rel": "details", "url": url.strip()}, _LINK_FIELDS))
    if type(detail) is str and len(detail) < 500 and detail.startswith(_USGS_SITE):
        links.append(laid(Link, {"rel": "usgs-detail", "url": detail.strip()}, _LINK_FIELDS))
    return links


_USGS_SITE = "https://earthquake.usgs.gov/"
_LINK_FIELDS = FieldsSet({"rel", "url"})


def _id_list(
    name: str, value: Any, extras: dict[str, Any], dropped: list[str], *, shared: bool = False
) -> list[str]:
    """Read a comma-wrapped list (`,us7000ngi1,usauto7000ngi1,`); repair empty entries.

    `shared`: a list most features of a document repeat (networks, products), read once."""
    if value is None:
        return []
    if not isinstance(value, str):
        drop_field(name, value, extras, dropped)
        return []
    kept, bad = shared_entries(value) if shared else entries(value)
    if bad:
        # An empty alias (`,,`) is the real quirk; the rest of the list still holds.
        drop_field(name, value, extras, dropped)
    return list(kept)


def entries(value: str) -> tuple[tuple[str, ...], bool]:
    """The ids a comma-wrapped list names, each once, and whether any entry was not an id."""
    clean = clean_list(value)
    if clean is not None:
        return tuple(clean), False
    parts = value.split(",")
    inner = parts[1:-1] if value.startswith(",") and value.endswith(",") else parts
    kept: list[str] = []
    bad = False
    for part in inner:
        text = part.strip()
        if not text or not EVENT_ID.match(text):
            bad = True
            continue
        if text not in kept and len(kept) < _MAX_LIST:
            kept.append(text)
    return tuple(kept), bad


def clean_list(value: str) -> list[str] | None:
    """The entries of the usual list (every entry an id, none twice, not too many), or None
    when it needs the entry-by-entry reading."""
    if not _ID_LIST.fullmatch(value):
        return None
    listed = value[1:-1].split(",")
    if len(listed) > 1 and (len(listed) > _MAX_LIST or len(set(listed)) != len(listed)):
        return None
    return listed


# A document repeats its few network and product lists (`,us,`, `,origin,phase-data,`) in
# nearly every feature; an event's own ids are its own, and would only crowd the cache.
shared_entries = lru_cache(maxsize=1024)(entries)


def _status(value: Any, extras: dict[str, Any], dropped: list[str]) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text in STATUSES:
        return text
    drop_field("status", value, extras, dropped)
    return None


def _point(
    geometry: Any, extras: dict[str, Any], dropped: list[str]
) -> tuple[float | None, float | None, float | None]:
    if not isinstance(geometry, dict):
        return None, None, None
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        if coordinates is not None:
            drop_field("coordinates", coordinates, extras, dropped)
        return None, None, None
    lon, lat = _finite(coordinates[0]), _finite(coordinates[1])
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        lon, lat = _checked_point(coordinates, extras, dropped)
    depth = None
    if len(coordinates) > 2:
        depth = _number("depth", coordinates[2], (-15.0, 1000.0), extras, dropped)
    return lat, lon, depth


def _checked_point(
    coordinates: list[Any], extras: dict[str, Any], dropped: list[str]
) -> tuple[float | None, float | None]:
    """(lon, lat) of a point at least one of whose coordinates is wrong, each named."""
    lon = plausible_coordinate("lon", _finite(coordinates[0]), 180, extras, dropped)
    lat = plausible_coordinate("lat", _finite(coordinates[1]), 90, extras, dropped)
    if _finite(coordinates[0]) is None and coordinates[0] is not None:
        drop_field("lon", coordinates[0], extras, dropped)
    if _finite(coordinates[1]) is None and coordinates[1] is not None:
        drop_field("lat", coordinates[1], extras, dropped)
    return lon, lat


def _finite(value: Any) -> float | None:
    """A finite number from a number or numeric text; None for anything else (NaN, 1e999,
    an integer too large for a float, a dict)."""
    kind = type(value)
    if kind is float:
        return value if _isfinite(value) else None
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str) and len(value) <= 40:
            number = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _number(
    name: str, value: Any, bounds: tuple[float, float], extras: dict[str, Any], dropped: list[str]
) -> float | None:
    if value is None:
        return None
    number = _finite(value)
    if number is None or not bounds[0] <= number <= bounds[1]:
        drop_field(name, value, extras, dropped)
        return None
    return number


def _epoch_ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not EARLIEST_MS <= value <= LATEST_MS:
        return None
    return int(value)


# Epoch ms to a time, the zone given by position: a third cheaper than by keyword.
_fromtimestamp = datetime.fromtimestamp


def clipped(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:limit] or None
