"""GDACS JSON (GeoJSON) to HazardEvents.

Reads the API's `geteventlist` FeatureCollection, its `geteventdata` / `getepisodedata`
Feature, `getgeometry` collections, and the xml-feed GeoJSON (`gdacs.geojson`,
`archive.geojson`), whose properties spell some fields differently. One event per
(eventtype, eventid): the centroid feature when there is one, polygons are geometry only.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from schemas.hazards import HazardEvent, Link, Measure, Source
from services.ingester import impact as impact_reader
from services.ingester.sources.base import (
    DocumentReason,
    ItemError,
    ItemReason,
    LooseRecord,
    ParseResult,
    Rejection,
    alert_level,
    contract_values,
    countries_of,
    document_error,
    hazard_type,
    parse_datetime,
    plausible_point,
    plausible_population,
    require_datetime,
    text_or_none,
    to_float,
    validated_record,
)

KIND = "gdacs-api"

_EPISODE_IN_LINK = re.compile(r"episodeid=(\d+)")
_CENTROID = "Point_Centroid"


class AffectedCountry(LooseRecord):
    iso3: str | None = None
    countryname: str | None = None


class SeverityData(LooseRecord):
    severity: float | None = None
    severitytext: str | None = None
    severityunit: str | None = None


class EventProperties(LooseRecord):
    """The properties of a GDACS feature, in the API's and the xml-feed's spellings."""

    eventtype: str = Field(min_length=2, max_length=4)
    eventid: int
    episodeid: int | None = None
    name: str | None = None
    eventname: str | None = None
    description: str | None = None
    htmldescription: str | None = None
    alertlevel: str | None = None
    alertscore: float | None = None
    episodealertlevel: str | None = None
    alertlevelepisode: str | None = None
    glide: str | None = None
    country: str | None = None
    countrylist: str | None = None
    iso3: str | None = None
    affectedcountries: list[AffectedCountry] = Field(default_factory=list)
    fromdate: str | None = None
    todate: str | None = None
    datemodified: str | None = None
    iscurrent: bool | None = None
    severitydata: SeverityData | None = None
    severity: float | None = None
    population: Any = None
    latitude: Any = None
    longitude: Any = None
    link: str | None = None
    url: dict[str, Any] | None = None
    class_: str | None = Field(default=None, alias="Class")

    @field_validator("alertscore", "severity", "iscurrent", "episodeid", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """An empty string stands for no value, in numbers and booleans alike."""
        return None if value in ("", None) else value


_MAPPED = frozenset(EventProperties.model_fields) | {"Class"}


def parse(document: Any) -> ParseResult:
    """Normalise a GDACS GeoJSON Feature or FeatureCollection (already JSON-decoded)."""
    result = ParseResult(kind=KIND)
    for index, feature in _event_features(document, result):
        try:
            result.events.append(_normalise(feature, result.dropped_fields))
        except ItemError as err:
            result.rejections.append(Rejection(err.reason, err.detail, f"feature {index}"))
    return result


def looks_like(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") in ("Feature", "FeatureCollection")


def _event_features(document: Any, result: ParseResult) -> list[tuple[int, dict[str, Any]]]:
    if document.get("type") == "Feature":
        features: Any = [document]
    else:
        features = document.get("features")
    if not isinstance(features, list):
        raise document_error(DocumentReason.BAD_SHAPE, "`features` is not a list")
    chosen: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            result.rejections.append(
                Rejection(ItemReason.BAD_VALUE, "feature without properties", f"feature {index}")
            )
            continue
        identity = (str(props.get("eventtype") or ""), str(props.get("eventid") or ""))
        if not all(identity):
            if props.get("Class") == _CENTROID or "Class" not in props:
                result.rejections.append(
                    Rejection(ItemReason.MISSING_FIELD, "no eventtype/eventid", f"feature {index}")
                )
            # An outline polygon without ids belongs to the centroid next to it.
            continue
        if identity not in chosen or props.get("Class") == _CENTROID:
            previous = chosen.get(identity)
            if previous is None or previous[1]["properties"].get("Class") != _CENTROID:
                chosen[identity] = (index, feature)
    return sorted(chosen.values(), key=lambda pair: pair[0])


def _normalise(feature: dict[str, Any], dropped: list[str]) -> HazardEvent:
    raw = feature["properties"]
    props = validated_record(EventProperties, raw)
    event_type = props.eventtype.upper()
    extras: dict[str, Any] = {
        k: v for k, v in raw.items() if k not in _MAPPED and not isinstance(v, dict | list)
    }
    extras.update({k: v for k, v in raw.items() if k in ("episodes", "sendai", "impacts")})
    version = _episode(props)
    lat, lon = _point(feature, props, extras, dropped)
    names = [c.countryname for c in props.affectedcountries if c.countryname]
    countries = countries_of(
        extras, [c.iso3 for c in props.affectedcountries if c.iso3], props.iso3
    )
    counted = (
        plausible_population(props.population, extras, dropped)
        if props.population is not None
        else None
    )
    impact = impact_reader.from_sendai(
        raw.get("sendai"),
        impact_reader.from_gdacs_population(counted, None, None) if counted is not None else None,
    )
    with contract_values():
        return HazardEvent(
            source=Source.GDACS,
            source_id=f"{event_type}:{props.eventid}",
            version=str(version),
            hazard_type=hazard_type(event_type),
            title=_title(props, event_type),
            description=text_or_none(props.htmldescription) or text_or_none(props.description),
            countries=countries,
            country_names=names or [n for n in [text_or_none(props.country)] if n],
            lat=lat,
            lon=lon,
            bbox=_bbox(feature.get("bbox")),
            alert_level=alert_level(props.alertlevel),
            alert_score=props.alertscore,
            episode_alert_level=alert_level(props.episodealertlevel or props.alertlevelepisode),
            severity=_severity(props),
            population_exposed=impact.exposed if impact else None,
            impact=impact,
            published_at=parse_datetime(props.datemodified),
            glide=text_or_none(props.glide),
            is_current=props.iscurrent,
            event_time=require_datetime(props.fromdate, props.datemodified),
            end_time=parse_datetime(props.todate),
            links=_links(props),
            extras=extras,
        )


def _episode(props: EventProperties) -> int:
    """The episode id, read from the report link where the feature does not give it."""
    if props.episodeid is not None:
        return props.episodeid
    match = _EPISODE_IN_LINK.search(props.link or "")
    if match is None:
        raise ItemError(ItemReason.MISSING_FIELD, "no episodeid")
    return int(match[1])


def _title(props: EventProperties, event_type: str) -> str:
    level = text_or_none(props.alertlevel)
    name = text_or_none(props.name) or text_or_none(props.description)
    if name and level:
        return f"{level} alert: {name}"
    return name or f"GDACS {event_type} {props.eventid}"


def _point(
    feature: dict[str, Any], props: EventProperties, extras: dict[str, Any], dropped: list[str]
) -> tuple[float | None, float | None]:
    geometry = feature.get("geometry")
    lat_raw: Any = props.latitude
    lon_raw: Any = props.longitude
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates")
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            lon_raw, lat_raw = coordinates[0], coordinates[1]
    return plausible_point(lat_raw, lon_raw, extras, dropped)


def _bbox(value: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(value, list) or len(value) != 4:
        return None
    numbers = [to_float(v) for v in value]
    if any(n is None for n in numbers):
        return None
    lon_min, lat_min, lon_max, lat_max = (float(n) for n in numbers if n is not None)
    return lon_min, lat_min, lon_max, lat_max


def _severity(props: EventProperties) -> Measure | None:
    data = props.severitydata
    if data is not None:
        return Measure(
            value=data.severity,
            unit=text_or_none(data.severityunit),
            text=text_or_none(data.severitytext),
        )
    if props.severity is not None:
        return Measure(value=props.severity)
    return None


def _links(props: EventProperties) -> list[Link]:
    links: list[Link] = []
    candidates: list[tuple[str, Any]] = [("report", props.link)]
    candidates += list((props.url or {}).items())
    for rel, url in candidates:
        text = text_or_none(url) if isinstance(url, str) else None
        if (
            text
            and text.startswith(("http://", "https://"))
            and all(link.url != text for link in links)
        ):
            links.append(Link(rel=rel, url=text))
    return links
