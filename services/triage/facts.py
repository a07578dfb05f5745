"""Facts about an incident that rules test, derived from its reports and the reference data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from schemas.hazards import HazardEvent, Source
from schemas.members import MemberDirectory
from services.triage.countries import CountryTable, country_table

#: Every fact a rule may test or a sentence may name, with what it means.
FACTS: dict[str, str] = {
    "hazard": "hazard type code (EQ, TC, FL, …)",
    "alert_level": "highest source alert level among the reports (green < orange < red)",
    "alert_score": "highest source alert score",
    "severity": "severity value and unit of the most alarming report (magnitude M, wind km/h, …)",
    "population_exposed": "largest population exposed any report states",
    "countries": "ISO3 codes of the affected countries",
    "regions": "UN M49 regions, sub-regions and intermediate regions of those countries",
    "income": "World Bank income groups of those countries (low … high)",
    "priority_region": "a country lies in one of the criteria's priority regions",
    "domestic": "a country is one of the criteria's home countries",
    "members_present": "member organisations present in an affected country",
    "source_count": "independent sources reporting the incident",
    "sources": "the sources reporting the incident (gdacs, reliefweb)",
    "reliefweb_status": "ReliefWeb's own disaster status (alert, ongoing, past, alert-archive)",
    "is_current": "a source still reports the event as current",
}
#: Facts a sentence may name besides those above.
DISPLAY_ONLY: dict[str, str] = {
    "title": "title of the most alarming report",
    "hazard_name": "hazard type in words",
    "country_names": "names of the affected countries",
    "severity_value": "severity number",
    "severity_unit": "severity unit",
    "severity_text": "severity in the source's words",
    "members": "names of member organisations present",
    "matched_regions": "the priority regions the incident lies in",
}

HAZARD_NAMES = {
    "EQ": "earthquake",
    "TC": "tropical cyclone",
    "FL": "flood",
    "VO": "volcanic eruption",
    "DR": "drought",
    "WF": "wildfire",
    "TS": "tsunami",
    "FF": "flash flood",
    "LS": "landslide",
    "ST": "storm",
    "EP": "epidemic",
    "CW": "cold wave",
    "HT": "heat wave",
    "OT": "hazard",
}


@dataclass(frozen=True)
class Presence:
    """Which member organisations are present in which country (from members.yaml)."""

    by_country: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, directory: MemberDirectory) -> Presence:
        by_country: dict[str, list[str]] = {}
        for org in directory.organisations:
            for iso3 in org.countries:
                by_country.setdefault(iso3, []).append(org.name_en)
        return cls({k: tuple(v) for k, v in by_country.items()})

    def organisations(self, countries: Iterable[str]) -> tuple[str, ...]:
        """Name the organisations present in any of the countries, once each."""
        names: dict[str, None] = {}
        for iso3 in countries:
            for name in self.by_country.get(iso3, ()):
                names[name] = None
        return tuple(names)


@dataclass(frozen=True)
class FactContext:
    """Reference data facts are derived with: country table, priorities, member presence."""

    priority_regions: frozenset[str] = frozenset()
    home_countries: frozenset[str] = frozenset()
    presence: Presence = field(default_factory=Presence)
    countries: CountryTable = field(default_factory=country_table)


def lead_report(reports: Iterable[HazardEvent]) -> HazardEvent:
    """Pick the most alarming report: highest alert level, then most people exposed."""
    return max(
        reports,
        key=lambda e: (
            e.alert_level.rank if e.alert_level else 0,
            e.population_exposed or 0,
            e.source is Source.GDACS,
        ),
    )


def incident_facts(
    reports: list[HazardEvent], countries: frozenset[str], ctx: FactContext
) -> dict[str, Any]:
    """Derive the testable facts of an incident from its latest reports."""
    lead = lead_report(reports)
    alert = max(
        (e.alert_level for e in reports if e.alert_level is not None),
        key=lambda a: a.rank,
        default=None,
    )
    scores = [e.alert_score for e in reports if e.alert_score is not None]
    people = [e.population_exposed for e in reports if e.population_exposed is not None]
    known = [c for c in (ctx.countries.get(iso3) for iso3 in countries) if c is not None]
    regions = frozenset(name for c in known for name in c.region_names)
    sources = frozenset(e.source for e in reports)
    # The contract maps ReliefWeb's own status words (`ongoing`) to three; rules may use either.
    relief = [
        status
        for status in (
            e.extras.get("reliefweb_status") or e.status
            for e in reports
            if e.source is Source.RELIEFWEB
        )
        if status
    ]
    current = [e.is_current for e in reports if e.is_current is not None]
    severity = lead.severity or next((e.severity for e in reports if e.severity), None)
    return {
        "hazard": lead.hazard_type,
        "alert_level": alert,
        "alert_score": max(scores) if scores else None,
        "severity": (severity.value, severity.unit)
        if severity and severity.value is not None
        else None,
        "population_exposed": max(people) if people else None,
        "countries": countries,
        "regions": regions,
        "income": frozenset(c.income for c in known if c.income is not None),
        "priority_region": bool(regions & ctx.priority_regions),
        "domestic": bool(countries & ctx.home_countries),
        "members_present": len(ctx.presence.organisations(sorted(countries))),
        "source_count": len(sources),
        "sources": sources,
        "reliefweb_status": relief[-1] if relief else None,
        "is_current": any(current) if current else None,
        # Display-only facts, kept cheap: sentences are rendered only for rules that fire.
        "_lead": lead,
        "_reports": reports,
    }


def display_values(facts: dict[str, Any], ctx: FactContext) -> dict[str, Any]:
    """Turn facts into what a sentence shows: words and plain numbers."""
    lead: HazardEvent = facts["_lead"]
    out: dict[str, Any] = {}
    for name in FACTS:
        out[name] = _display(facts[name])
    severity = lead.severity
    out["alert_level"] = facts["alert_level"].value.capitalize() if facts["alert_level"] else "none"
    out["severity"] = (
        f"{_number(facts['severity'][0])} {facts['severity'][1] or ''}".strip()
        if facts["severity"]
        else "unknown"
    )
    out["title"] = lead.title
    out["hazard_name"] = HAZARD_NAMES.get(lead.hazard_type.value, "hazard")
    names = [
        c.name for c in (ctx.countries.get(iso3) for iso3 in sorted(facts["countries"])) if c
    ] or lead.country_names
    out["country_names"] = ", ".join(names) if names else "no country"
    out["severity_value"] = severity.value if severity and severity.value is not None else 0
    out["severity_unit"] = (severity.unit if severity else None) or ""
    out["severity_text"] = (severity.text if severity else None) or out["severity"]
    out["matched_regions"] = ", ".join(sorted(facts["regions"] & ctx.priority_regions)) or "none"
    out["members"] = ", ".join(ctx.presence.organisations(sorted(facts["countries"]))) or "none"
    if out["population_exposed"] == "unknown":
        out["population_exposed"] = 0
    return out


def json_value(value: Any) -> Any:
    """Make a fact or operand JSON-friendly for a Reason's values."""
    if isinstance(value, frozenset | set):
        return sorted(json_value(v) for v in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _display(value: Any) -> Any:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(str(_display(v)) for v in value))
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value if v is not None)
    return value


def _number(value: float) -> str:
    return f"{value:g}"
