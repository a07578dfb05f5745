"""The member directory (`members.yaml`): organisations, their contacts and what they subscribe to.

A configuration contract rather than a topic: triage reads where members are present,
the notifier reads whom to tell and how.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints, model_validator

from schemas.activations import Level
from schemas.base import Contract
from schemas.hazards import ISO3, HazardType

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")]


class Language(StrEnum):
    JA = "ja"
    EN = "en"


class OrganisationKind(StrEnum):
    NGO = "ngo"
    BUSINESS = "business"
    GOVERNMENT = "government"
    OTHER = "other"


class Contact(Contract):
    id: Slug
    name: str = Field(min_length=1)
    role: str | None = None
    language: Language = Language.JA
    email: Email | None = None
    apprise_urls: list[SecretStr] = Field(
        default_factory=list, description="Chat/SMS targets (Slack, Teams, LINE, Telegram, …)."
    )

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if self.email is None and not self.apprise_urls:
            raise ValueError("a contact needs an email or at least one apprise URL")
        return self


class Subscription(Contract):
    """What an organisation wants to hear about. Empty lists mean everything."""

    min_level: Level = Level.STANDBY
    hazard_types: list[HazardType] = Field(default_factory=list)
    regions: list[str] = Field(
        default_factory=list,
        description="UN M49 region or sub-region names, e.g. `South-eastern Asia`.",
    )
    countries: list[ISO3] = Field(default_factory=list)
    presence_min_level: Level | None = Field(
        default=None,
        description="A lower level accepted where the organisation is present (its `countries`).",
    )

    @model_validator(mode="after")
    def _levels_make_sense(self) -> Subscription:
        if self.min_level is Level.NONE:
            raise ValueError("min_level must be watch, standby or activate")
        if self.presence_min_level is not None and self.presence_min_level > self.min_level:
            raise ValueError("presence_min_level must not be above min_level")
        return self


class Organisation(Contract):
    id: Slug
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: OrganisationKind
    countries: list[ISO3] = Field(default_factory=list, description="Countries of presence.")
    contacts: list[Contact] = Field(min_length=1)
    subscription: Subscription = Subscription()


class Secretariat(Contract):
    """The platform's duty desk, named in every member message as the contact for questions."""

    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    email: Email | None = None
    phone: str | None = None
    url: str | None = None


class MemberDirectory(Contract):
    secretariat: Secretariat | None = None
    organisations: list[Organisation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> MemberDirectory:
        seen_orgs: set[str] = set()
        seen_contacts: set[str] = set()
        for org in self.organisations:
            if org.id in seen_orgs:
                raise ValueError(f"duplicate organisation id {org.id!r}")
            seen_orgs.add(org.id)
            for contact in org.contacts:
                key = f"{org.id}/{contact.id}"
                if key in seen_contacts:
                    raise ValueError(f"duplicate contact id {key!r}")
                seen_contacts.add(key)
        return self

    def contact(self, organisation_id: str, contact_id: str) -> tuple[Organisation, Contact] | None:
        """Find a contact by its organisation and contact ids."""
        for org in self.organisations:
            if org.id == organisation_id:
                for contact in org.contacts:
                    if contact.id == contact_id:
                        return org, contact
        return None

    def present_in(self, iso3: str) -> list[Organisation]:
        """Return the organisations with a presence in a country."""
        return [org for org in self.organisations if iso3 in org.countries]
