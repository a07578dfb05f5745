"""Hand-made hazard reports and criteria for triage tests."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.synthetic import MergeScore, pair_scores
from schemas.hazards import AlertLevel, HazardEvent, HazardType, Measure, Source
from schemas.members import MemberDirectory
from services.triage.backtest import in_time_order, replay
from services.triage.criteria import Criteria, load_criteria
from services.triage.facts import FactContext, Presence

REPO = Path(__file__).resolve().parents[3]
SHIPPED_CRITERIA = REPO / "deploy" / "criteria.yaml"
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def report(
    source_id: str = "EQ:1001",
    *,
    source: Source = Source.GDACS,
    version: str = "1",
    hazard: HazardType | None = None,
    alert: AlertLevel | None = AlertLevel.GREEN,
    countries: tuple[str, ...] = ("PHL",),
    at: datetime = T0,
    lat: float | None = 12.0,
    lon: float | None = 122.0,
    people: int | None = None,
    severity: tuple[float, str] | None = None,
    glide: str | None = None,
    status: str | None = None,
    title: str | None = None,
    extras: dict[str, Any] | None = None,
) -> HazardEvent:
    """A report with sensible defaults: a green earthquake in the Philippines."""
    kind = hazard or HazardType(source_id.split(":", 1)[0]) if ":" in source_id else hazard
    return HazardEvent(
        source=source,
        source_id=source_id,
        version=version,
        hazard_type=kind or HazardType.EARTHQUAKE,
        title=title or f"{alert.value if alert else 'no'} alert {source_id}",
        countries=list(countries),
        lat=lat,
        lon=lon,
        alert_level=alert,
        population_exposed=people,
        severity=Measure(value=severity[0], unit=severity[1]) if severity else None,
        glide=glide,
        status=status,
        event_time=at,
        extras=extras or {},
    )


def reliefweb_report(
    report_id: str, hazard: HazardType, *, status: str, **fields: Any
) -> HazardEvent:
    """A ReliefWeb disaster report: no alert level of its own and no coordinates."""
    return report(
        report_id,
        source=Source.RELIEFWEB,
        hazard=hazard,
        alert=None,
        status=status,
        lat=None,
        lon=None,
        **fields,
    )


GORKHA = datetime(2015, 4, 25, 6, 11, tzinfo=UTC)
"""The M7.8 main shock of the Nepal 2015 sequence."""


def gdacs_quake(
    source_id: str,
    at: datetime,
    lat: float,
    lon: float,
    magnitude: float,
    alert: AlertLevel = AlertLevel.GREEN,
    *,
    countries: tuple[str, ...] = ("NPL",),
    people: int | None = None,
) -> HazardEvent:
    """An earthquake of magnitude `magnitude` at (lat, lon) reported by GDACS; in Nepal, where
    the sequence most grouping tests replay struck, unless `countries` says otherwise."""
    return report(
        source_id,
        alert=alert,
        countries=countries,
        at=at,
        lat=lat,
        lon=lon,
        severity=(magnitude, "M"),
        people=people,
    )


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def shipped() -> Criteria:
    return load_criteria(SHIPPED_CRITERIA)


def merge_score(events: list[HazardEvent], truth: Mapping[str, Hashable]) -> MergeScore:
    """Replay `events` in time order with the shipped criteria and score the incidents they
    were filed under against the `truth` grouping."""
    predicted = {o.event.key: o.incident.id for o in replay(in_time_order(events), shipped())}
    return pair_scores(predicted, truth)


def context(criteria: Criteria, presence: dict[str, tuple[str, ...]] | None = None) -> FactContext:
    return FactContext(
        priority_regions=frozenset(criteria.priority_regions),
        home_countries=frozenset(criteria.home_countries),
        presence=Presence(presence or {}),
    )


def directory(**countries: list[str]) -> MemberDirectory:
    """A member directory with one organisation per keyword, present in the given countries."""
    return MemberDirectory.model_validate(
        {
            "organisations": [
                {
                    "id": org,
                    "name_ja": org,
                    "name_en": org.replace("-", " ").title(),
                    "kind": "ngo",
                    "countries": where,
                    "contacts": [{"id": "desk", "name": "Desk", "email": f"desk@{org}.example"}],
                }
                for org, where in countries.items()
            ]
        }
    )
