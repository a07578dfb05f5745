"""`activations.v1`: triage's recommendation that members stand by or activate for an incident."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.base import Contract, Message
from schemas.hazards import AlertLevel, HazardType, Link, Measure
from schemas.topics import ACTIVATIONS


class Level(StrEnum):
    """Activation levels, ordered: none < watch < standby < activate."""

    NONE = "none"
    WATCH = "watch"
    STANDBY = "standby"
    ACTIVATE = "activate"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank


_LEVEL_ORDER = [Level.NONE, Level.WATCH, Level.STANDBY, Level.ACTIVATE]


class Reason(Contract):
    """One rule that fired, and the values that made it fire."""

    rule: str = Field(min_length=1)
    sentence: str = Field(min_length=1, description="Human sentence, e.g. `GDACS alert level Red`.")
    sentence_ja: str | None = Field(
        default=None, description="The same sentence in Japanese, when the criteria give one."
    )
    level: Level = Level.NONE
    weight: float = 0
    values: dict[str, Any] = Field(default_factory=dict)


class IncidentSummary(Contract):
    """What a member needs to know about the incident, in the source's words."""

    title: str
    hazard_type: HazardType
    countries: list[str] = Field(default_factory=list)
    country_names: list[str] = Field(default_factory=list)
    event_time: AwareDatetime
    lat: float | None = None
    lon: float | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="The lead report's area: min lon, min lat, max lon, max lat."
    )
    alert_level: AlertLevel | None = None
    severity: Measure | None = None
    population_exposed: int | None = None
    glide: str | None = None
    links: list[Link] = Field(default_factory=list)
    sources: list[str] = Field(
        default_factory=list, description="Source event keys merged, e.g. `gdacs:EQ:1052901`."
    )


class Activation(Message):
    """A decision that an incident reached a level members must hear about."""

    topic: ClassVar[str] = ACTIVATIONS

    activation_id: UUID = Field(description="Stable id of this level-decision for the incident.")
    incident_id: UUID
    level: Level
    previous_level: Level = Level.NONE
    score: float = Field(ge=0, le=100)
    reasons: list[Reason] = Field(min_length=1)
    summary: IncidentSummary
    retracted: bool = Field(
        default=False,
        description="Every report of the incident was withdrawn by its source (a USGS event "
        "`deleted`): `level` is `none`, `previous_level` the level members were told. Those told "
        "are told it was withdrawn, the CAP alert is cancelled; nothing else follows.",
    )
