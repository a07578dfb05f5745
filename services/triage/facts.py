"""Facts about an incident that rules test, derived from its reports and the reference data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from schemas.hazards import FoundBy, HazardEvent, Pager, Source, lead_report
from schemas.members import MemberDirectory
from services.common.countries import CountryTable, country_table

#: Every fact a rule may test or a sentence may name, with what it means.
FACTS: dict[str, str] = {
    "hazard": "hazard type code (EQ, TC, FL, …)",
    "alert_level": "highest source alert level among the reports (green < orange < red)",
    "episode_alert_level": "GDACS alert level of the latest episode alone (the event's may be higher)",
    "alert_score": "highest source alert score",
    "severity": "severity value and unit of the most alarming report (magnitude M, wind km/h, …)",
    "population_exposed": "largest population exposed any report states (GDACS's model: MMI, wind, area)",
    "deaths": "largest death toll any report states",
    "displaced": "largest number of people displaced or evacuated any report states",
    "affected": "largest number of people affected any report states",
    "countries": "ISO3 codes of the affected countries",
    "country_unresolved": "no report could be placed in a country (codes, names, GLIDE, coordinates)",
    "countries_found_by": "how the countries were found: code, name, glide, coordinates",
    "regions": "UN M49 regions, sub-regions and intermediate regions of those countries",
    "income": "World Bank income groups of those countries (low … high)",
    "priority_region": "a country lies in one of the criteria's priority regions",
    "domestic": "a country is one of the criteria's home countries",
    "members_present": "member organisations present in an affected country",
    "source_count": "independent sources reporting the incident",
    "sources": "the sources reporting the incident (gdacs, reliefweb, usgs)",
    "reliefweb_status": "ReliefWeb's own disaster status (alert, ongoing, past, alert-archive)",
    "is_current": "a source still reports the event as current",
    "pager_alert": "USGS PAGER level of the earthquake (green < yellow < orange < red): the "
    "higher of its fatality and economic estimates",
    "pager_fatality_alert": "PAGER's level for estimated deaths (yellow 1+, orange 100+, red 1,000+)",
    "pager_economic_alert": "PAGER's level for estimated losses (yellow US$1 M+, orange 100 M+, "
    "red 1 B+)",
    "pager_reviewed": "a seismologist reviewed the PAGER estimate (false: automatic)",
    "pager_pending": "PAGER's level is pending a seismologist's review (orange or red held back)",
    "max_mmi": "highest shaking intensity (MMI) USGS estimates",
    "tsunami": "USGS considered a tsunami message for the quake (not that one occurred)",
    "significance": "USGS significance (0 to ~3,000: magnitude, felt reports, PAGER)",
    "usgs_status": "USGS's own status of the event: automatic or reviewed",
}
#: Facts a sentence may name besides those above.
DISPLAY_ONLY: dict[str, str] = {
    "title": "title of the most alarming report",
    "hazard_name": "hazard type in words",
    "country_names": "names of the affected countries",
    "place_evidence": 'each country and how it was found ("Nepal (from the point, 40 km away)")',
    "severity_value": "severity number",
    "severity_unit": "severity unit",
    "severity_text": "severity in the source's words",
    "members": "names of member organisations present",
    "matched_regions": "the priority regions the incident lies in",
    "pager_review": "whether PAGER's estimate is automatic or reviewed, in words",
    "pager_review_ja": "the same in Japanese",
    "usgs_status_ja": "USGS's own status of the event (automatic or reviewed), in Japanese",
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
    #: Facts that depend only on the set of countries, computed once per set. Not an init
    #: field, so `dataclasses.replace(context, presence=...)` (members.yaml reloaded) starts
    #: a fresh one instead of sharing answers computed with the old presence.
    by_countries: dict[frozenset[str], tuple[Any, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def country_facts(self, countries: frozenset[str]) -> tuple[Any, ...]:
        """Regions, income groups, priority, domestic and member count of a set of countries."""
        found = self.by_countries.get(countries)
        if found is None:
            table = self.countries.countries
            known = [table[iso3] for iso3 in countries if iso3 in table]
            regions = frozenset(name for c in known for name in c.region_names)
            by_country = self.presence.by_country
            present = {name for iso3 in countries for name in by_country.get(iso3, ())}
            found = (
                regions,
                frozenset(c.income for c in known if c.income is not None),
                not regions.isdisjoint(self.priority_regions),
                not countries.isdisjoint(self.home_countries),
                len(present),
            )
            self.by_countries[countries] = found
        return found


def _reliefweb_status(e: HazardEvent) -> str | None:
    # The contract maps ReliefWeb's own status words (`ongoing`) to three; rules may use either.
    if e.source is not Source.RELIEFWEB:
        return None
    status: str | None = e.extras.get("reliefweb_status") or e.status
    return status


_NO_IMPACT = (None, None, None)


def _impact(reports: list[HazardEvent]) -> tuple[int | None, int | None, int | None]:
    deaths = displaced = affected = None
    for report in reports:
        impact = report.impact
        if impact is None:
            continue
        if impact.deaths is not None:
            deaths = max(deaths or 0, impact.deaths)
        if impact.displaced is not None:
            displaced = max(displaced or 0, impact.displaced)
        if impact.affected is not None:
            affected = max(affected or 0, impact.affected)
    return deaths, displaced, affected


def _quake(reports: list[HazardEvent]) -> tuple[Pager | None, str | None]:
    """The most alarming PAGER estimate of the USGS reports, and its report's status.

    A report USGS deleted counts for nothing: it was retracted.
    """
    best: Pager | None = None
    status: str | None = None
    for report in reports:
        pager = report.pager
        if report.source is not Source.USGS or report.status == "deleted":
            continue
        if best is None or (pager is not None and _pager_rank(pager) > _pager_rank(best)):
            best, status = pager, report.status
    return best, status


def _pager_rank(pager: Pager | None) -> int:
    return pager.alert.rank if pager is not None and pager.alert is not None else 0


_NO_PAGER = Pager()
_BY_CODE: frozenset[str] = frozenset({FoundBy.CODE})
_NOWHERE: frozenset[str] = frozenset()


def _found_by(reports: list[HazardEvent]) -> frozenset[str]:
    # FoundBy members are strings: no `.value` (an enum descriptor call) in this hot path.
    if len(reports) == 1:
        only = reports[0]
        if only.places:
            return frozenset([p.found_by for p in only.places])
        return _BY_CODE if only.countries else _NOWHERE
    found = frozenset([p.found_by for r in reports for p in r.places])
    if found:
        return found
    return _BY_CODE if any(r.countries for r in reports) else _NOWHERE


def incident_facts(
    reports: list[HazardEvent], countries: frozenset[str], ctx: FactContext
) -> dict[str, Any]:
    """Derive the testable facts of an incident from its latest reports."""
    # Runs for every report replayed, so it stays lean; most incidents hold one report.
    if len(reports) == 1:
        lead = reports[0]
        alert_score = lead.alert_score
        population = lead.population_exposed
        sources = frozenset((lead.source,))
        status = _reliefweb_status(lead)
        current = lead.is_current
    else:
        lead, alert_score, population, sources, status, current = _combined(reports)
    alert = lead.alert_level
    regions, income, priority, domestic, present = ctx.country_facts(countries)
    severity = lead.severity
    if severity is None or severity.value is None:
        severity = next((e.severity for e in reports if e.severity and e.severity.value), None)
    has_impact = lead.impact is not None if len(reports) == 1 else any(r.impact for r in reports)
    pager, usgs_status = _quake(reports) if Source.USGS in sources else (None, None)
    quake = pager or _NO_PAGER
    deaths, displaced, affected = _impact(reports) if has_impact else _NO_IMPACT
    return {
        "hazard": lead.hazard_type,
        "alert_level": alert,
        "episode_alert_level": lead.episode_alert_level,
        "alert_score": alert_score,
        "severity": (severity.value, severity.unit) if severity is not None else None,
        "population_exposed": population,
        "deaths": deaths,
        "displaced": displaced,
        "affected": affected,
        "countries": countries,
        "country_unresolved": not countries,
        "countries_found_by": _found_by(reports),
        "regions": regions,
        "income": income,
        "priority_region": priority,
        "domestic": domestic,
        "members_present": present,
        "source_count": len(sources),
        "sources": sources,
        "reliefweb_status": status,
        "is_current": current,
        "pager_alert": quake.alert,
        "pager_fatality_alert": quake.fatality_alert,
        "pager_economic_alert": quake.economic_alert,
        "pager_reviewed": quake.reviewed,
        "pager_pending": quake.pending if pager is not None else None,
        "max_mmi": quake.max_mmi,
        "tsunami": quake.tsunami,
        "significance": quake.significance,
        "usgs_status": usgs_status,
        "_lead": lead,
        "_reports": reports,
    }


def _combined(
    reports: list[HazardEvent],
) -> tuple[HazardEvent, float | None, int | None, frozenset[Source], str | None, bool | None]:
    """The lead report and the figures several reports give together: the highest score and
    exposure, every source, the latest ReliefWeb status, current if any report says so."""
    lead = lead_report(reports)
    scores = [e.alert_score for e in reports if e.alert_score is not None]
    alert_score = max(scores) if scores else None
    people = [e.population_exposed for e in reports if e.population_exposed is not None]
    population = max(people) if people else None
    sources = frozenset(e.source for e in reports)
    relief = [s for s in map(_reliefweb_status, reports) if s]
    status = relief[-1] if relief else None
    flags = [e.is_current for e in reports if e.is_current is not None]
    current = any(flags) if flags else None
    return lead, alert_score, population, sources, status, current


class Display(dict[str, Any]):
    """What sentences show, computed on first use: most reports fire no rule that needs it."""

    def __init__(self, facts: dict[str, Any], ctx: FactContext) -> None:
        super().__init__()
        self.facts = facts
        self.ctx = ctx

    def __missing__(self, name: str) -> Any:
        if name in _DERIVED:
            value = _DERIVED[name](self.facts, self.ctx)
        elif name in FACTS:
            value = _display(self.facts[name])
        else:
            raise KeyError(name)
        self[name] = value
        return value


def _lead(facts: dict[str, Any]) -> HazardEvent:
    lead: HazardEvent = facts["_lead"]
    return lead


def _severity_words(facts: dict[str, Any], _: FactContext) -> str:
    severity = facts["severity"]
    return f"{_number(severity[0])} {severity[1] or ''}".strip() if severity else "unknown"


def _country_names(facts: dict[str, Any], ctx: FactContext) -> str:
    names = [
        c.name for c in (ctx.countries.get(iso3) for iso3 in sorted(facts["countries"])) if c
    ] or _lead(facts).country_names
    return ", ".join(names) if names else "no country"


def _severity_field(facts: dict[str, Any], attribute: str, default: Any) -> Any:
    severity = _lead(facts).severity
    value = getattr(severity, attribute, None) if severity else None
    return default if value is None else value


def _place_evidence(facts: dict[str, Any], ctx: FactContext) -> str:
    seen: dict[str, str] = {}
    for report in facts["_reports"]:
        for place in report.places:
            if place.iso3 in seen:
                continue
            country = ctx.countries.get(place.iso3)
            name = country.name if country else place.iso3
            how = {
                "code": "from its code",
                "name": f"from the name '{place.text}'",
                "glide": f"from GLIDE {place.text}",
                "coordinates": f"from the point, {place.distance_km or 0:g} km from land",
            }[place.found_by.value]
            seen[place.iso3] = f"{name} ({how})"
    return "; ".join(seen.values()) or _country_names(facts, ctx)


def _level_words(value: Any, missing: str = "none") -> str:
    return str(value.value).capitalize() if value is not None else missing


_REVIEW = {True: "reviewed by a seismologist", False: "automatic, not yet reviewed"}
_REVIEW_JA = {True: "地震学者が確認済み", False: "自動推定（未確認）"}
_USGS_STATUS_JA = {"automatic": "自動決定（未確認）", "reviewed": "確認済み", "deleted": "取り消し"}


_DERIVED: dict[str, Callable[[dict[str, Any], FactContext], Any]] = {
    "pager_alert": lambda f, _: _level_words(f["pager_alert"]),
    "pager_fatality_alert": lambda f, _: _level_words(f["pager_fatality_alert"], "unknown"),
    "pager_economic_alert": lambda f, _: _level_words(f["pager_economic_alert"], "unknown"),
    "pager_review": lambda f, _: _REVIEW.get(f["pager_reviewed"], "review status unknown"),
    "pager_review_ja": lambda f, _: _REVIEW_JA.get(f["pager_reviewed"], "確認状況不明"),
    "usgs_status_ja": lambda f, _: _USGS_STATUS_JA.get(f["usgs_status"], "不明"),
    "alert_level": lambda f, _: f["alert_level"].value.capitalize() if f["alert_level"] else "none",
    "episode_alert_level": lambda f, _: (
        f["episode_alert_level"].value.capitalize() if f["episode_alert_level"] else "none"
    ),
    "severity": _severity_words,
    "population_exposed": lambda f, _: f["population_exposed"] or 0,
    "title": lambda f, _: _lead(f).title,
    "hazard_name": lambda f, _: HAZARD_NAMES.get(_lead(f).hazard_type.value, "hazard"),
    "country_names": _country_names,
    "place_evidence": _place_evidence,
    "deaths": lambda f, _: f["deaths"] or 0,
    "displaced": lambda f, _: f["displaced"] or 0,
    "affected": lambda f, _: f["affected"] or 0,
    "severity_value": lambda f, _: _severity_field(f, "value", 0),
    "severity_unit": lambda f, _: _severity_field(f, "unit", ""),
    "severity_text": lambda f, c: _severity_field(f, "text", None) or _severity_words(f, c),
    "matched_regions": lambda f, c: ", ".join(sorted(f["regions"] & c.priority_regions)) or "none",
    "members": lambda f, c: ", ".join(c.presence.organisations(sorted(f["countries"]))) or "none",
}


def display_values(facts: dict[str, Any], ctx: FactContext) -> Display:
    """Turn facts into what a sentence shows: words and plain numbers, on demand."""
    return Display(facts, ctx)


def json_value(value: Any) -> Any:
    """Make a fact or operand JSON-friendly for a Reason's values."""
    if isinstance(value, frozenset | set):
        return sorted(json_value(v) for v in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _display(value: Any) -> Any:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(v.value if isinstance(v, Enum) else str(v) for v in value))
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value if v is not None)
    return value


def _number(value: float) -> str:
    return f"{value:g}"
