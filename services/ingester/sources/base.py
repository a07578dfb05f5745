"""What every source parser shares: reasons, the parse result, and value normalisers.

Reasons are closed sets because they become Prometheus label values: a new reason is a
deliberate change here, never a string made up at a call site.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.hazards import AlertLevel, HazardEvent, HazardType
from services.common.errors import SourceError, StandbyError


class DocumentReason(StrEnum):
    """Why a whole document (or the fetch of it) was refused."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_A_FEED = "not_a_feed"
    MALFORMED = "malformed"
    UNSAFE_XML = "unsafe_xml"
    ENCODING = "encoding"
    BAD_SHAPE = "bad_shape"
    STORAGE = "storage"
    INTERNAL = "internal"


class DocumentRepair(StrEnum):
    """What was removed from before a document's first markup so that it could be read.

    Tools that save feeds can prepend a byte-order mark (`bom`), a byte-order mark that was
    itself re-encoded as UTF-8 (`reencoded_bom`: C3 AF C2 BB C2 BF), or blank lines before the
    XML declaration (`leading_whitespace`), which must come first. Each is removed and counted.
    """

    BOM = "bom"
    REENCODED_BOM = "reencoded_bom"
    LEADING_WHITESPACE = "leading_whitespace"


class ItemReason(StrEnum):
    """Why one item of an otherwise readable document was refused."""

    MISSING_FIELD = "missing_field"
    BAD_VALUE = "bad_value"
    BAD_DATE = "bad_date"


def document_error(reason: DocumentReason, detail: str) -> SourceError:
    """Build the error a parser raises for a document it cannot read."""
    return SourceError(reason.value, detail[:500])


class ItemError(StandbyError):
    """One item cannot be normalised; the rest of the document still can."""

    def __init__(self, reason: ItemReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Rejection:
    """An item left out of a document's events, and why."""

    reason: ItemReason
    detail: str
    item: str


class LooseRecord(BaseModel):
    """A record of a feed as its source writes it: fields this reader does not know are kept
    (in `model_extra`, for a HazardEvent's extras), and an aliased field may go by either name."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


_Record = TypeVar("_Record", bound=LooseRecord)


def validated_record(model: type[_Record], raw: Any) -> _Record:
    """`raw` read as `model`; ItemError names the first field that is missing or wrong."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        missing = first["type"] == "missing" or first.get("input", "") is None
        reason = ItemReason.MISSING_FIELD if missing else ItemReason.BAD_VALUE
        raise ItemError(reason, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from err


@dataclass
class ParseResult:
    """The events of one document, the items refused, and fields dropped as implausible."""

    kind: str
    events: list[HazardEvent] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    dropped_fields: list[str] = field(default_factory=list)
    next_page: str | None = None
    repairs: list[DocumentRepair] = field(default_factory=list)


# World population with head-room: a larger "exposed" figure is a unit or parsing error.
MAX_PLAUSIBLE_POPULATION = 10_000_000_000
_EARLIEST_YEAR = 1900
_LATEST_YEAR = 2200

_DATE_FORMATS = (
    "%d/%b/%Y %H:%M:%S",  # GDACS xml-feed GeoJSON, 2021: 18/Apr/2021 06:41:50
    "%d %b %Y %H:%M:%S",  # GDACS xml-feed GeoJSON, 2026: 23 May 2026 05:41:34
    "%m/%d/%Y %I:%M:%S %p",  # GDACS RSS descriptions: 11/26/2022 8:00:19 PM
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def parse_datetime(value: Any) -> datetime | None:
    """Read a source's date in any of the forms the feeds use; naive times are UTC."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            for fmt in _DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if parsed is None or not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def require_datetime(*candidates: Any) -> datetime:
    """Return the first candidate that is a readable date, or reject the item."""
    for candidate in candidates:
        parsed = parse_datetime(candidate)
        if parsed is not None:
            return parsed
    shown = next((str(c)[:60] for c in candidates if c not in (None, "")), None)
    if shown is None:
        raise ItemError(ItemReason.MISSING_FIELD, "no event date")
    raise ItemError(ItemReason.BAD_DATE, f"unreadable date {shown!r}")


def to_float(value: Any) -> float | None:
    """Read a finite number, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except (ValueError, OverflowError):  # an integer too large for a float is no number either
        return None
    return number if math.isfinite(number) else None


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_ISO3 = re.compile(r"^[A-Z]{3}$")


def iso3_list(*values: Any) -> tuple[list[str], list[str]]:
    """Split country codes into valid ISO3 codes (upper-cased, de-duplicated) and the rest."""
    valid: list[str] = []
    invalid: list[str] = []
    for value in values:
        if value is None:
            continue
        parts = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value))
        for part in parts:
            code = str(part).strip().upper()
            if not code:
                continue
            if _ISO3.match(code):
                if code not in valid:
                    valid.append(code)
            else:
                invalid.append(str(part))
    return valid, invalid


def countries_of(extras: dict[str, Any], *values: Any) -> list[str]:
    """The valid ISO3 codes among `values`; the rest is kept in extras, as unrecognised."""
    countries, unrecognised = iso3_list(*values)
    if unrecognised:
        extras["unrecognised_iso3"] = unrecognised
    return countries


@contextmanager
def contract_values() -> Iterator[None]:
    """Reject the item whose values the contract refuses, by the first line of its reason."""
    try:
        yield
    except ValueError as err:
        raise ItemError(ItemReason.BAD_VALUE, str(err).splitlines()[0]) from err


_ALERT_LEVELS = {level.value: level for level in AlertLevel}


def alert_level(value: Any) -> AlertLevel | None:
    """Read GDACS's `Green`/`Orange`/`Red` in any case; None when absent or unknown."""
    text = text_or_none(value)
    return _ALERT_LEVELS.get(text.lower()) if text else None


_HAZARD_CODES = {h.value: h for h in HazardType}
# GLIDE and ReliefWeb codes with no HazardType of their own, mapped to the nearest one.
_HAZARD_ALIASES = {
    "EC": HazardType.STORM,  # extratropical cyclone
    "SS": HazardType.STORM,  # storm surge
    "TO": HazardType.STORM,  # tornado
    "VW": HazardType.STORM,  # violent wind
    "SL": HazardType.LANDSLIDE,
    "MS": HazardType.LANDSLIDE,  # mud slide
    "FR": HazardType.WILDFIRE,
}


def hazard_type(code: Any) -> HazardType:
    """Map a GDACS or GLIDE hazard code to a HazardType (OTHER when it has none)."""
    text = (text_or_none(code) or "").upper()
    known = _HAZARD_CODES.get(text) or _HAZARD_ALIASES.get(text)
    if known is None and len(text) > 2 and text[2:].isalpha():
        # GDACS variants of a code (`EQx`, `TCx`) keep the hazard of the two-letter code.
        known = _HAZARD_CODES.get(text[:2]) or _HAZARD_ALIASES.get(text[:2])
    return known or HazardType.OTHER


def plausible_population(value: Any, extras: dict[str, Any], dropped: list[str]) -> int | None:
    """Return a population count, dropping (and recording) a negative or absurd one."""
    number = to_float(value)
    if number is None:
        if text_or_none(value) is not None:
            drop_field("population", value, extras, dropped)
        return None
    if number < 0 or number > MAX_PLAUSIBLE_POPULATION:
        drop_field("population", value, extras, dropped)
        return None
    return round(number)


def plausible_coordinate(
    name: str, value: Any, limit: float, extras: dict[str, Any], dropped: list[str]
) -> float | None:
    """Return a latitude or longitude within ±limit, dropping (and recording) anything else."""
    number = to_float(value)
    if number is None or abs(number) > limit:
        if text_or_none(value) is not None:
            drop_field(name, value, extras, dropped)
        return None
    return number


def plausible_point(
    lat: Any, lon: Any, extras: dict[str, Any], dropped: list[str]
) -> tuple[float | None, float | None]:
    """Return a plausible latitude and longitude, each dropped (and recorded) if it is not."""
    return (
        plausible_coordinate("lat", lat, 90, extras, dropped),
        plausible_coordinate("lon", lon, 180, extras, dropped),
    )


def drop_field(name: str, value: Any, extras: dict[str, Any], dropped: list[str]) -> None:
    """Blank an implausible field of an item and record its original value and name."""
    # The event still travels (a red alert with a garbled population must not be lost);
    # the original value stays visible to whoever reads the event.
    try:
        shown = value[:200] if isinstance(value, str) else repr(value)[:200]
    except RecursionError:  # a hostile value nested past the interpreter's limit
        shown = f"<{type(value).__name__}>"
    extras.setdefault("dropped_fields", {})[name] = shown
    dropped.append(name)
