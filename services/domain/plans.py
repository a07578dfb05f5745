"""Match members' standby plans, stored supplies and offers to an incident: pure functions.

The notifier names each organisation's own matches in its alert; the response service shows
every organisation's matches on the board. Both use these functions on the member directory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from schemas.activations import IncidentSummary
from schemas.hazards import HazardType
from schemas.members import MemberDirectory, Offer, Organisation, StandbyPlan, Supply
from services.common.countries import regions_of
from services.domain.geo import distance_km

RegionsOf = Callable[[str], Iterable[str]]


@dataclass(frozen=True, slots=True)
class StockMatch:
    supply: Supply
    #: 0 in an affected country, 1 same sub-region, 2 same region, 3 elsewhere.
    tier: int
    distance_km: float | None


@dataclass(frozen=True)
class OrganisationMatch:
    """What one organisation has ready for an incident."""

    organisation: Organisation
    plans: list[StandbyPlan] = field(default_factory=list)
    stock: list[StockMatch] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.plans or self.stock or self.offers)


Scoped = TypeVar("Scoped", StandbyPlan, Offer)


def _covering(
    items: Iterable[Scoped], hazard: HazardType, countries: Sequence[str], regions: RegionsOf
) -> list[Scoped]:
    """The items made for this hazard (or any) and for these countries or their regions (or
    anywhere: an item naming no place holds everywhere); an offer names regions only."""
    found = []
    for item in items:
        if item.hazard_types and hazard not in item.hazard_types:
            continue
        named: Sequence[str] = item.countries if isinstance(item, StandbyPlan) else ()
        if (
            (not named and not item.regions)
            or set(countries) & set(named)
            or any(r in item.regions for c in countries for r in regions(c))
        ):
            found.append(item)
    return found


def matching_plans(
    org: Organisation, hazard: HazardType, countries: Sequence[str], regions: RegionsOf = regions_of
) -> list[StandbyPlan]:
    """Return the organisation's plans made for this hazard and place."""
    return _covering(org.plans, hazard, countries, regions)


def matching_offers(
    org: Organisation, hazard: HazardType, countries: Sequence[str], regions: RegionsOf = regions_of
) -> list[Offer]:
    """Return the organisation's offers that hold for this hazard and place."""
    return _covering(org.offers, hazard, countries, regions)


def _tier(supply: Supply, countries: Sequence[str], regions: RegionsOf) -> int:
    if supply.country in countries:
        return 0
    here = list(regions(supply.country))
    affected = [list(regions(c)) for c in countries]
    # regions_of lists widest first: [region, sub-region, intermediate?]
    if any(len(here) > 1 and len(a) > 1 and here[1] == a[1] for a in affected):
        return 1
    if any(here and a and here[0] == a[0] for a in affected):
        return 2
    return 3


def nearest_stock(
    org: Organisation,
    countries: Sequence[str],
    lat: float | None = None,
    lon: float | None = None,
    regions: RegionsOf = regions_of,
    limit: int = 3,
) -> list[StockMatch]:
    """Rank the organisation's stored supplies by closeness to the incident, nearest first."""
    ranked = []
    for supply in org.supplies:
        distance = None
        if None not in (lat, lon, supply.lat, supply.lon):
            distance = distance_km(lat, lon, supply.lat, supply.lon)  # type: ignore[arg-type]
        ranked.append(StockMatch(supply, _tier(supply, countries, regions), distance))
    ranked.sort(
        key=lambda m: (
            m.tier,
            m.distance_km if m.distance_km is not None else math.inf,
            -m.supply.quantity,
        )
    )
    return ranked[:limit]


def match_organisation(
    org: Organisation, incident: IncidentSummary, regions: RegionsOf = regions_of
) -> OrganisationMatch:
    """Collect one organisation's plans, nearest stock and offers for an incident (its hazard,
    its countries and its point)."""
    hazard, countries = incident.hazard_type, incident.countries
    plans = matching_plans(org, hazard, countries, regions)
    offers = matching_offers(org, hazard, countries, regions)
    lat, lon = incident.lat, incident.lon
    # Stock matters where the organisation has a plan (or goods to offer) for the incident.
    stock = nearest_stock(org, countries, lat, lon, regions) if plans or offers else []
    return OrganisationMatch(org, plans, stock, offers)


def match_incident(
    directory: MemberDirectory, incident: IncidentSummary, regions: RegionsOf = regions_of
) -> dict[str, OrganisationMatch]:
    """Match every organisation of the directory, keyed by organisation id."""
    return {org.id: match_organisation(org, incident, regions) for org in directory.organisations}
