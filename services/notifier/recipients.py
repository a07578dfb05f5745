"""Choose who hears about a message, when and in which language: pure functions of the
directory, the incident and each contact's preference.

An activation goes to the contacts whose organisation subscribed to it and whose own
preference lets it through: at once, at the end of their quiet hours, or in their daily
digest. A stand-down goes to the contacts told about the incident, on the channels they were
told on, unless they asked for silence since. A coordination notice goes to every contact
of the organisations it names. A daily digest goes to its contact unless they left the
directory or asked for silence since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from schemas.activations import IncidentSummary, Level
from schemas.deliveries import Channel
from schemas.hazards import HazardType
from schemas.members import Contact, Language, MemberDirectory, Organisation
from services.notifier.preferences import NO_PREFERENCE, Preference

RegionsOf = Callable[[str], Iterable[str]]
EVERY_CHANNEL = frozenset({Channel.EMAIL, Channel.CHAT})


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


@dataclass(frozen=True, slots=True)
class Addressee:
    """A contact to tell, in the language it reads, on the channels it may be reached by."""

    organisation: Organisation
    contact: Contact
    language: Language
    channels: frozenset[Channel] = EVERY_CHANNEL


@dataclass(slots=True)
class AlertAudience:
    """Who hears about an activation now, and whose alert waits for their digest."""

    addressees: list[Addressee] = field(default_factory=list)
    # Contact ref -> when its quiet hours end: recorded now, sent then.
    held: dict[str, datetime] = field(default_factory=dict)
    # (organisation, contact) whose alert goes in their next daily digest instead.
    digest: list[tuple[str, str]] = field(default_factory=list)


def alert_audience(
    directory: MemberDirectory,
    *,
    level: Level,
    summary: IncidentSummary,
    preferences: Mapping[str, Preference],
    now: datetime,
    regions_of: RegionsOf,
    platform_zone: ZoneInfo,
) -> AlertAudience:
    """Whom an activation at `level` reaches, each contact's preference applied (quiet hours
    in the contact's zone, or `platform_zone`, settings.duty.timezone, for one who set none).

    One pass, each contact's preference looked up once: before the first mail of a
    5,000-contact list can leave, every recipient is chosen here.
    """
    audience = AlertAudience()
    for r in select_recipients(
        directory,
        level=level,
        hazard=summary.hazard_type,
        countries=summary.countries,
        regions_of=regions_of,
    ):
        preference = preferences.get(r.ref, NO_PREFERENCE)
        if not preference.allows(
            level=level, hazard=summary.hazard_type, countries=summary.countries, now=now
        ):
            continue
        if preference.in_digest(level):
            audience.digest.append((r.organisation.id, r.contact.id))
            continue
        language = preference.language or r.contact.language
        audience.addressees.append(Addressee(r.organisation, r.contact, language))
        until = preference.held_until(level, now, platform_zone)
        if until is not None:
            audience.held[r.ref] = until
    return audience


def notice_audience(
    directory: MemberDirectory,
    told: Iterable[tuple[str, str, Channel]],
    preferences: Mapping[str, Preference],
    now: datetime,
) -> tuple[list[Addressee], list[tuple[str, str]]]:
    """Whom a notice about an incident reaches: those told about it, on the same channels.

    `told` lists (organisation, contact, channel) as the delivery log has them. Returns the
    addressees, and the (organisation, contact) told before who have left the directory.
    """
    channels: dict[tuple[str, str], set[Channel]] = {}
    for org_id, contact_id, channel in told:
        channels.setdefault((org_id, contact_id), set()).add(channel)
    addressees: list[Addressee] = []
    gone: list[tuple[str, str]] = []
    for (org_id, contact_id), used in channels.items():
        found = directory.contact(org_id, contact_id)
        if found is None:
            gone.append((org_id, contact_id))
            continue
        org, contact = found
        preference = preferences.get(f"{org.id}/{contact.id}", NO_PREFERENCE)
        if preference.silent(now):
            continue
        language = preference.language or contact.language
        addressees.append(Addressee(org, contact, language, frozenset(used)))
    return addressees, gone


def organisations_audience(
    directory: MemberDirectory, organisations: Iterable[str]
) -> tuple[list[Addressee], list[str]]:
    """Every contact of the named organisations, in its own language; and the ids not found."""
    known = {org.id: org for org in directory.organisations}
    addressees: list[Addressee] = []
    missing: list[str] = []
    for org_id in organisations:
        org = known.get(org_id)
        if org is None:
            missing.append(org_id)
            continue
        addressees += [Addressee(org, contact, contact.language) for contact in org.contacts]
    return addressees, missing


def digest_addressee(
    directory: MemberDirectory,
    organisation_id: str,
    contact_id: str,
    preference: Preference,
    now: datetime,
) -> Addressee | None:
    """Whom a contact's daily digest reaches: None once they left or asked for silence."""
    found = directory.contact(organisation_id, contact_id)
    if found is None or preference.silent(now):
        return None
    org, contact = found
    return Addressee(org, contact, preference.language or contact.language)
