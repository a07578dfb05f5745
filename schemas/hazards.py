"""`hazards.v1`: one normalised report of a natural hazard from one source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from schemas.base import Contract, Message
from schemas.topics import HAZARDS

ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Source(StrEnum):
    GDACS = "gdacs"
    RELIEFWEB = "reliefweb"
    USGS = "usgs"


class HazardType(StrEnum):
    """Hazard types, in GDACS's two-letter codes where GDACS has one."""

    EARTHQUAKE = "EQ"
    TROPICAL_CYCLONE = "TC"
    FLOOD = "FL"
    VOLCANO = "VO"
    DROUGHT = "DR"
    WILDFIRE = "WF"
    TSUNAMI = "TS"
    FLASH_FLOOD = "FF"
    LANDSLIDE = "LS"
    STORM = "ST"
    EPIDEMIC = "EP"
    COLD_WAVE = "CW"
    HEAT_WAVE = "HT"
    OTHER = "OT"


class Graded(StrEnum):
    """A source's alert levels, declared least severe first: a level's `rank` counts from 1 in
    that order, so that 0 can stand for no level at all."""

    @property
    def rank(self) -> int:
        return _ranks(type(self))[self]


@cache
def _ranks(levels: type[Graded]) -> dict[Graded, int]:
    return {level: rank for rank, level in enumerate(levels, start=1)}


class AlertLevel(Graded):
    GREEN = "green"
    ORANGE = "orange"
    RED = "red"


def alert_rank(level: AlertLevel | None) -> int:
    """Order alert levels for comparison: no level 0, green 1, orange 2, red 3."""
    return level.rank if level is not None else 0


class Measure(Contract):
    """A quantity as the source states it: a number, its unit and the source's own wording."""

    value: float | None = None
    unit: str | None = None
    text: str | None = None


class FoundBy(StrEnum):
    """How the ingester found an event's country, most direct first."""

    CODE = "code"
    NAME = "name"
    GLIDE = "glide"
    COORDINATES = "coordinates"


class Place(Contract):
    """One affected country and how it was found, so a reason can say so."""

    iso3: ISO3
    found_by: FoundBy
    text: str | None = Field(
        default=None, description="What it was found from: the name, GLIDE number or point."
    )
    distance_km: float | None = Field(
        default=None,
        ge=0,
        description="Coordinates only: how far the point lies from the nearest place on land "
        "of that country (an offshore point when large).",
    )


class Impact(Contract):
    """Human impact as the source states it, each figure kept apart: they are not the same."""

    deaths: int | None = Field(default=None, ge=0)
    displaced: int | None = Field(default=None, ge=0)
    affected: int | None = Field(default=None, ge=0)
    exposed: int | None = Field(
        default=None, ge=0, description="People in the hazard's zone (GDACS's population)."
    )
    exposed_text: str | None = Field(
        default=None, description="What `exposed` counts, in the source's words (MMI, wind)."
    )


class PagerLevel(Graded):
    """USGS PAGER alert levels: fatalities 1 / 100 / 1,000 or losses US$1 M / 100 M / 1 B
    for yellow / orange / red. Not GDACS's levels: PAGER estimates impact, GDACS exposure."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class Pager(Contract):
    """What USGS says of an earthquake's impact (PAGER) and shaking, as facts a rule may test."""

    alert: PagerLevel | None = Field(
        default=None, description="The event's PAGER level: the higher of fatality and economic."
    )
    fatality_alert: PagerLevel | None = None
    economic_alert: PagerLevel | None = None
    pending: bool = Field(
        default=False, description="PAGER said `pending`: a level awaits a seismologist's review."
    )
    reviewed: bool | None = Field(
        default=None,
        description="The PAGER product's review status (automatic: False); None when unknown.",
    )
    max_mmi: float | None = Field(default=None, ge=0, le=12)
    tsunami: bool | None = Field(
        default=None, description="USGS considered a tsunami message (not that one occurred)."
    )
    significance: int | None = Field(default=None, ge=0, description="USGS `sig`, 0 to ~3000.")
    version: str | None = Field(default=None, description="The losspager product's update time.")


class Link(Contract):
    rel: str = Field(description="What the link is: report, map, cap, details, reliefweb, …")
    url: str


class HazardEvent(Message):
    """One version of one event as one source reports it."""

    topic: ClassVar[str] = HAZARDS

    source: Source
    source_id: str = Field(
        min_length=1, description="Stable id of the event at its source, e.g. `EQ:1052901`."
    )
    version: str = Field(
        min_length=1,
        description="Version of the event at the source (GDACS episode id, ReliefWeb change date).",
    )
    hazard_type: HazardType
    title: str
    description: str | None = None
    countries: list[ISO3] = Field(default_factory=list, description="ISO 3166-1 alpha-3 codes.")
    country_names: list[str] = Field(default_factory=list)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="min lon, min lat, max lon, max lat"
    )
    alert_level: AlertLevel | None = None
    alert_score: float | None = None
    episode_alert_level: AlertLevel | None = None
    severity: Measure | None = None
    population: Measure | None = None
    population_exposed: int | None = Field(default=None, ge=0)
    glide: str | None = None
    status: str | None = Field(
        default=None,
        description="Source status, e.g. ReliefWeb `alert`, `current`, `past`; USGS "
        "`automatic`, `reviewed` or `deleted` (a retraction).",
    )
    is_current: bool | None = None
    event_time: AwareDatetime
    end_time: AwareDatetime | None = None
    links: list[Link] = Field(default_factory=list)
    places: list[Place] = Field(
        default_factory=list,
        description="Each country of `countries` and how it was found (code, name, GLIDE, point).",
    )
    impact: Impact | None = None
    pager: Pager | None = Field(
        default=None,
        description="USGS earthquakes: PAGER levels, intensity, tsunami, significance.",
    )
    published_at: AwareDatetime | None = Field(
        default=None,
        description="When the source published this version (RSS pubDate, episode date); "
        "a replay uses it, since a saved item is often a late episode of its event.",
    )
    extras: dict[str, Any] = Field(
        default_factory=dict, description="Source fields with no place above, kept verbatim."
    )

    @field_validator("glide")
    @classmethod
    def _blank_glide_is_none(cls, value: str | None) -> str | None:
        return value or None

    @property
    def key(self) -> str:
        """Name the event across versions, e.g. `gdacs:EQ:1052901`."""
        return f"{self.source.value}:{self.source_id}"


def lead_report(reports: Iterable[HazardEvent]) -> HazardEvent:
    """The report an incident is shown by: the highest alert level, then the most people
    exposed; on a tie GDACS leads (its titles name the event), then the first given."""
    return max(
        reports,
        key=lambda e: (
            alert_rank(e.alert_level),
            e.population_exposed or 0,
            e.source is Source.GDACS,
        ),
    )


def compare_versions(new: str, old: str) -> int:
    """Order two versions of one event: 1 when `new` is later, 0 the same, -1 earlier.

    Numbers compare as numbers and ISO dates as the instants they name (a date without an
    offset is UTC); both as `version_key` sorts them. Versions of unrelated forms (a number
    against a date, or words) count as later, so a source that changes its way of versioning
    is never taken for a replay of old news.
    """
    if new == old:
        return 0
    new_key, old_key = version_key(new), version_key(old)
    if new_key[0] != old_key[0] or new_key[0] == _WORDS:
        return 1
    return (new_key[1] > old_key[1]) - (new_key[1] < old_key[1])


_NUMBER, _DATE, _WORDS = 0, 1, 2


def version_key(version: str) -> tuple[int, float, str]:
    """Sort one event's versions: numbers as numbers, then dates as instants, then the rest as
    written. The one order `compare_versions` also follows (a property test holds them together)."""
    if version.isascii() and version.isdigit():
        return (_NUMBER, int(version), "")
    try:
        when = datetime.fromisoformat(version)
    except ValueError:
        return (_WORDS, 0, version)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (_DATE, when.timestamp(), version)
