"""Choose who hears about an activation: a pure function of the directory and the incident."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Contact, MemberDirectory, Organisation

RegionsOf = Callable[[str], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Recipient:
    organisation: Organisation
    contact: Contact

    @property
    def ref(self) -> str:
        """Name the contact across the directory, e.g. `peace-winds/tanaka`."""
        return f"{self.organisation.id}/{self.contact.id}"


def wants(
    org: Organisation,
    *,
    level: Level,
    hazard: HazardType,
    countries: Iterable[str],
    regions_of: RegionsOf,
) -> bool:
    """Tell whether an organisation's subscription covers an incident at a level."""
    if level <= Level.NONE:
        return False
    sub = org.subscription
    if sub.hazard_types and hazard not in sub.hazard_types:
        return False
    affected = set(countries)
    present = bool(affected & set(org.countries))
    # Presence lowers the bar only where the organisation is, and only if it opted in.
    opted_in_here = present and sub.presence_min_level is not None
    threshold = (
        sub.presence_min_level if opted_in_here and sub.presence_min_level else sub.min_level
    )
    if level < threshold:
        return False
    if not sub.countries and not sub.regions:
        return True
    if affected & set(sub.countries):
        return True
    if sub.regions and any(r in sub.regions for c in affected for r in regions_of(c)):
        return True
    return opted_in_here


def select_recipients(
    directory: MemberDirectory,
    *,
    level: Level,
    hazard: HazardType,
    countries: Iterable[str],
    regions_of: RegionsOf,
) -> list[Recipient]:
    """Select the contacts to tell about an incident at a level, in directory order."""
    affected = list(countries)
    return [
        Recipient(org, contact)
        for org in directory.organisations
        if wants(org, level=level, hazard=hazard, countries=affected, regions_of=regions_of)
        for contact in org.contacts
    ]
