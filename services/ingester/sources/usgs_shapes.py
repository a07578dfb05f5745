"""A USGS FeatureCollection decoded typed: msgspec checks the shape in C, no dict per feature.

Every field a summary feed or an FDSN query result carries is declared, and no other is
allowed (`forbid_unknown_fields`): msgspec then reads every value of the document with its
full checks (UTF-8, number range, depth), as the untyped decoding does; a field it skips
would not be (an integer of 5,000 digits or a byte that is not UTF-8 in a skipped string
passes a typed decoding and not `json.loads`). A number keeps its JSON kind (`int | float`)
and the fields the reader does not use are `Any`, decoded as the untyped decoding decodes
them. So a document this module accepts holds, in every field the reader reads, the values
`safety.parse_json` gives; whatever it declines (a field of another type, a new field,
NaN, a huge number, a Feature alone, a document that is not USGS's) is read by the untyped
path as before (decision 0745).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

_Number = int | float | None

# `gc=False`: nothing here can hold a reference cycle (decoded values only), so no instance
# needs the garbage collector's attention; a summary feed is hundreds of them a minute.


class Properties(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True):
    """A feature's properties, in the order USGS writes them (msgspec reads that order fastest)."""

    mag: _Number = None
    place: str | None = None
    time: _Number = None
    updated: _Number = None
    tz: Any = None
    url: str | None = None
    detail: str | None = None
    felt: _Number = None
    cdi: _Number = None
    mmi: _Number = None
    alert: str | None = None
    status: str | None = None
    tsunami: _Number = None
    sig: _Number = None
    net: str | None = None
    code: str | None = None
    ids: str | None = None
    sources: str | None = None
    types: str | None = None
    nst: Any = None
    dmin: Any = None
    rms: Any = None
    gap: Any = None
    magType: str | None = None  # noqa: N815 (USGS's own spelling)
    type: str | None = None
    title: str | None = None


class Geometry(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True):
    type: Any = None
    coordinates: list[int | float] | None = None


class Feature(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True):
    type: Any = None
    properties: Properties
    geometry: Geometry | None = None
    id: str | None = None


class Collection(msgspec.Struct, forbid_unknown_fields=True, gc=False, kw_only=True):
    type: str
    metadata: dict[str, Any]
    features: list[Feature]
    bbox: Any = None


_decode = msgspec.json.Decoder(Collection).decode
# Tried only on what announces itself as a USGS feed near its start: a typed decoding that
# fails costs a partial read on top of the untyped one.
_USGS_URL = re.compile(rb'"url"\s*:\s*"https://earthquake\.usgs\.gov/')
_HEAD = 2048


def decode(body: bytes) -> Collection | None:
    """The document as USGS shapes, or None when anything in it is not one (read untyped)."""
    if not _USGS_URL.search(body, 0, _HEAD):
        return None
    try:
        collection = _decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    url = collection.metadata.get("url")
    if (
        collection.type != "FeatureCollection"
        or not isinstance(url, str)
        or "earthquake.usgs.gov" not in url
    ):
        return None
    return collection


def as_dict(feature: Feature) -> dict[str, Any]:
    """The feature as the untyped decoding gives it, for the reader's own checks (an absent
    field reads as null, which the reader does not tell apart)."""
    geometry = feature.geometry
    return {
        "type": feature.type,
        "properties": msgspec.structs.asdict(feature.properties),
        "geometry": None if geometry is None else msgspec.structs.asdict(geometry),
        "id": feature.id,
    }
