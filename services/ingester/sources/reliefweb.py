"""ReliefWeb API (v1 and v2) `disasters` documents to HazardEvents.

A list response and a single-disaster response have the same envelope (`data: [...]`). A
lean list (id, name, status, glide) still yields an event: the hazard type and country come
from the GLIDE number and the month from the name, flagged as approximate in extras.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from schemas.hazards import HazardEvent, Link, Source
from services.ingester import impact as impact_reader
from services.ingester.sources.base import (
    DocumentReason,
    ItemError,
    ItemReason,
    LooseRecord,
    ParseResult,
    Rejection,
    contract_values,
    countries_of,
    document_error,
    hazard_type,
    parse_datetime,
    text_or_none,
    validated_record,
)

KIND = "reliefweb"

# ReliefWeb's statuses, to the three the contract speaks of; the original stays in extras.
STATUS_MAP = {
    "alert": "alert",
    "current": "current",
    "ongoing": "current",
    "past": "past",
    "alert-archive": "past",
}
_GLIDE = re.compile(r"^(?P<type>[A-Z]{2})-(?P<year>\d{4})-\d+-(?P<iso3>[A-Z]{3})$")
# Names end in "- Aug 2024", ": Mar 2024" or "- 2023-2024" (a span starts in its first year).
_MONTH_IN_NAME = re.compile(r"\b(?P<month>[A-Z][a-z]{2})[a-z]*\.?\s+(?P<year>\d{4})\s*$")
_YEAR_IN_NAME = re.compile(r"\b(?P<year>(?:19|20)\d{2})(?:\s*-\s*\d{4})?\s*$")


class Country(LooseRecord):
    iso3: str | None = None
    name: str | None = None
    shortname: str | None = None
    location: dict[str, Any] | None = None
    primary: bool | None = None


class DisasterType(LooseRecord):
    code: str | None = None
    name: str | None = None
    primary: bool | None = None


class Dates(LooseRecord):
    changed: str | None = None
    created: str | None = None
    event: str | None = None


class DisasterFields(LooseRecord):
    """The fields of one disaster; every one optional but the id, as `fields[include]` may trim them."""

    id: int
    name: str = Field(min_length=1)
    status: str | None = None
    glide: str | None = None
    description: str | None = None
    primary_country: Country | None = None
    country: list[Country] = Field(default_factory=list)
    primary_type: DisasterType | None = None
    type: list[DisasterType] = Field(default_factory=list)
    date: Dates | None = None
    url: str | None = None
    url_alias: str | None = None


_MAPPED = frozenset(DisasterFields.model_fields) | {"description-html", "profile"}


def looks_like(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and "data" in document
        and ("totalCount" in document or "reliefweb" in str(document.get("href", "")))
    )


def parse(document: Any) -> ParseResult:
    """Normalise every disaster of a ReliefWeb API response (already JSON-decoded)."""
    items = document.get("data")
    if not isinstance(items, list):
        raise document_error(DocumentReason.BAD_SHAPE, "`data` is not a list")
    result = ParseResult(kind=KIND, next_page=next_page(document))
    for index, item in enumerate(items):
        ref = str(item.get("id", f"item {index}")) if isinstance(item, dict) else f"item {index}"
        try:
            result.events.append(_normalise(item))
        except ItemError as err:
            result.rejections.append(Rejection(err.reason, err.detail, ref[:80]))
    return result


def next_page(document: Any) -> str | None:
    """Return the URL of the next page of a list response, if any."""
    try:
        href = document["links"]["next"]["href"]
    except (KeyError, TypeError):
        return None
    return href if isinstance(href, str) and href.startswith(("http://", "https://")) else None


def _normalise(item: Any) -> HazardEvent:
    if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
        raise ItemError(ItemReason.BAD_VALUE, "item without `fields` object")
    raw: dict[str, Any] = item["fields"]
    fields = validated_record(DisasterFields, raw)
    extras: dict[str, Any] = {
        k: v for k, v in raw.items() if k not in _MAPPED and not isinstance(v, dict | list)
    }
    glide = text_or_none(fields.glide)
    glide_parts = _GLIDE.match(glide.upper()) if glide else None
    status = (text_or_none(fields.status) or "").lower() or None
    mapped_status = STATUS_MAP.get(status) if status else None
    if status and mapped_status != status:
        extras["reliefweb_status"] = status
    code = _type_code(fields) or (glide_parts["type"] if glide_parts else None)
    if code:
        extras["reliefweb_type"] = code
    countries = countries_of(extras, *_country_codes(fields))
    primary = fields.primary_country
    if primary and isinstance(primary.location, dict):
        # A country centroid, not the disaster's place: kept aside so nobody measures from it.
        extras["country_location"] = primary.location
    dates = fields.date or Dates()
    event_time = _event_time(fields, dates, glide_parts, extras)
    changed = parse_datetime(dates.changed)
    with contract_values():
        return HazardEvent(
            source=Source.RELIEFWEB,
            source_id=str(fields.id),
            # Lean lists carry no change date; the status is then what tells versions apart.
            version=changed.isoformat() if changed else f"status:{status or 'unknown'}",
            hazard_type=hazard_type(code),
            title=fields.name,
            description=text_or_none(fields.description),
            countries=countries,
            country_names=_country_names(fields),
            glide=glide,
            status=mapped_status,
            impact=impact_reader.from_description(fields.description),
            published_at=parse_datetime(dates.created),
            event_time=event_time,
            links=_links(fields, item),
            extras=extras,
        )


def _event_time(
    fields: DisasterFields, dates: Dates, glide_parts: re.Match[str] | None, extras: dict[str, Any]
) -> datetime:
    """When the disaster happened: its dates, else approximated from its name or GLIDE."""
    event_time = parse_datetime(dates.event) or parse_datetime(dates.created)
    if event_time is None:
        event_time = _approximate_date(fields.name, glide_parts, extras)
    if event_time is None:
        raise ItemError(
            ItemReason.BAD_DATE if (dates.event or dates.created) else ItemReason.MISSING_FIELD,
            f"no readable date for disaster {fields.id}",
        )
    return event_time


def _type_code(fields: DisasterFields) -> str | None:
    if fields.primary_type and fields.primary_type.code:
        return fields.primary_type.code.upper()
    ordered = sorted(fields.type, key=lambda t: not t.primary)
    return next((t.code.upper() for t in ordered if t.code), None)


def _country_codes(fields: DisasterFields) -> list[str]:
    codes = [fields.primary_country.iso3] if fields.primary_country else []
    codes += [c.iso3 for c in fields.country]
    return [c for c in codes if c]


def _country_names(fields: DisasterFields) -> list[str]:
    names: list[str] = []
    for country in [fields.primary_country, *fields.country]:
        name = country and (country.shortname or country.name)
        if name and name not in names:
            names.append(name)
    if not names and ":" in fields.name:
        # A lean list names the place only in the title: "Nepal: Earthquake - Apr 2015".
        names.append(fields.name.split(":", 1)[0].strip())
    return names


def _approximate_date(
    name: str, glide_parts: re.Match[str] | None, extras: dict[str, Any]
) -> datetime | None:
    """Date a disaster that came without dates from its name, else its GLIDE year."""
    match = _MONTH_IN_NAME.search(name)
    if match is not None:
        try:
            month = datetime.strptime(f"{match['month']} {match['year']}", "%b %Y")
        except ValueError:
            month = None
        if month is not None:
            extras["event_time_precision"] = "month"
            return month.replace(tzinfo=UTC)
    year_match = _YEAR_IN_NAME.search(name) or glide_parts
    if year_match is None:
        return None
    extras["event_time_precision"] = "year"
    return datetime(int(year_match["year"]), 1, 1, tzinfo=UTC)


def _links(fields: DisasterFields, item: dict[str, Any]) -> list[Link]:
    links: list[Link] = []
    for rel, url in (
        ("reliefweb", fields.url_alias),
        ("details", fields.url),
        ("api", item.get("href")),
    ):
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            links.append(Link(rel=rel, url=url))
    return links
