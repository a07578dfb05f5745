"""What an incident map shows, gathered from the incident and the member directory: pure.

The scene holds places and names only; `svg.py` draws it and `describe.py` says it in words,
so the picture and its text alternative always tell the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from schemas.activations import IncidentSummary
from schemas.hazards import AlertLevel, HazardType
from schemas.members import Language, MemberDirectory, Organisation
from schemas.responses import AnswerKind
from services.common.country_names import country_name
from services.domain.maps.world import Point, world
from services.domain.plans import OrganisationMatch, match_incident

# Warehouses further than this from the incident stay off the picture (the view would show
# half the world); the text alternative still names them with their distance.
NEAR_KM = 3000.0


@dataclass(frozen=True, slots=True)
class Presence:
    """Member organisations present in one affected country, at the country's label point."""

    iso3: str
    country: str
    at: Point
    organisations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Warehouse:
    organisation: str
    place: str
    country: str
    at: Point
    stock: str
    distance_km: float | None
    nearest: bool = False


@dataclass(frozen=True, slots=True)
class AnswerMark:
    """One organisation's latest answer, drawn where it is (or would be) on the ground."""

    organisation: str
    answer: AnswerKind
    at: Point | None  # its first warehouse, when it is not present in an affected country
    present_in: str | None = None  # the affected country it is present in, drawn there


@dataclass(frozen=True)
class Scene:
    language: Language
    title: str
    hazard: HazardType
    alert: AlertLevel | None
    point: Point | None
    area: tuple[float, float, float, float] | None
    track: tuple[Point, ...]
    affected: dict[str, str]  # ISO3 → name in the reader's language
    presences: tuple[Presence, ...] = ()
    warehouses: tuple[Warehouse, ...] = ()
    answers: tuple[AnswerMark, ...] = field(default=())

    @property
    def nearest(self) -> Warehouse | None:
        return next((w for w in self.warehouses if w.nearest), None)


def _org_name(org: Organisation, language: Language) -> str:
    return org.name_ja if language is Language.JA else org.name_en


def _label_point(iso3: str) -> Point | None:
    shape = world().get(iso3)
    return shape.label if shape else None


def _warehouses(
    matches: Iterable[tuple[Organisation, OrganisationMatch]], language: Language
) -> list[Warehouse]:
    found: dict[tuple[str, str], Warehouse] = {}
    for org, match in matches:
        for stock in match.stock:
            supply = stock.supply
            if supply.lat is not None and supply.lon is not None:
                at: Point | None = (supply.lon, supply.lat)
            else:
                at = _label_point(supply.country)
            key = (org.id, supply.place)
            if at is None or key in found:
                continue  # one marker per warehouse: its nearest-ranked stock names it
            found[key] = Warehouse(
                organisation=_org_name(org, language),
                place=supply.place,
                country=country_name(supply.country, language),
                at=at,
                stock=f"{supply.item} {supply.quantity:,} {supply.unit}",
                distance_km=stock.distance_km,
            )
    ranked = sorted(
        found.values(), key=lambda w: w.distance_km if w.distance_km is not None else 1e9
    )
    if ranked and ranked[0].distance_km is not None:
        ranked[0] = replace(ranked[0], nearest=True)
    return ranked


def incident_scene(
    summary: IncidentSummary,
    directory: MemberDirectory,
    language: Language,
    *,
    organisations: Iterable[str] | None = None,
    answers: Mapping[str, AnswerKind] | None = None,
    track: Iterable[Point] = (),
) -> Scene:
    """Gather what the map of an incident shows for a reader.

    `organisations` limits the members drawn (the board draws the addressed ones);
    `answers` (organisation id → latest answer) adds the roll-call's answers; `track` a
    cyclone's path as (lon, lat) points, oldest first (no message carries one yet).
    """
    wanted = set(organisations) if organisations is not None else None
    orgs = [o for o in directory.organisations if wanted is None or o.id in wanted]
    countries = summary.countries
    names = list(summary.country_names)
    affected = {
        iso3: country_name(iso3, language, names[i] if i < len(names) else None)
        for i, iso3 in enumerate(countries)
    }
    presences = _presences(orgs, countries, affected, language)
    matches = match_incident(MemberDirectory(organisations=orgs), summary)
    by_id = {o.id: o for o in orgs}
    warehouses = _warehouses(((by_id[k], m) for k, m in matches.items()), language)
    point = (
        (summary.lon, summary.lat) if summary.lon is not None and summary.lat is not None else None
    )
    marks = _answer_marks(answers or {}, by_id, countries, language)
    return Scene(
        language=language,
        title=summary.title,
        hazard=summary.hazard_type,
        alert=summary.alert_level,
        point=point,
        area=summary.bbox,
        track=tuple(track),
        affected=affected,
        presences=tuple(presences),
        warehouses=tuple(warehouses),
        answers=tuple(marks),
    )


def _presences(
    orgs: list[Organisation], countries: list[str], affected: dict[str, str], language: Language
) -> list[Presence]:
    """Each affected country where members work, with their names at its label point."""
    presences = []
    for iso3 in countries:
        here = [_org_name(o, language) for o in orgs if iso3 in o.countries]
        at = _label_point(iso3)
        if here and at is not None:
            presences.append(Presence(iso3, affected[iso3], at, tuple(here)))
    return presences


def _answer_marks(
    answers: Mapping[str, AnswerKind],
    by_id: Mapping[str, Organisation],
    countries: list[str],
    language: Language,
) -> list[AnswerMark]:
    """Each known organisation's latest answer, placed where the organisation stands."""
    marks = []
    for org_id, answer in answers.items():
        org = by_id.get(org_id)
        if org is None:
            continue
        present_in, at = _answer_place(org, countries)
        marks.append(AnswerMark(_org_name(org, language), answer, at, present_in))
    return marks


def _answer_place(org: Organisation, countries: list[str]) -> tuple[str | None, Point | None]:
    """Where an answer stands on the map: with the organisation's presence in an affected
    country, else at its first warehouse, else nowhere (it is still said in words)."""
    for iso3 in countries:
        if iso3 in org.countries:
            return iso3, None
    for supply in org.supplies[:1]:
        if supply.lat is not None and supply.lon is not None:
            return None, (supply.lon, supply.lat)
        return None, _label_point(supply.country)
    return None, None
