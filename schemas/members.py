"""The member directory (`members.yaml`): organisations, their contacts and what they subscribe to.

A configuration contract rather than a topic: triage reads where members are present,
the notifier reads whom to tell and how.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ClassVar, Self

from pydantic import BaseModel, Field, SecretStr, StringConstraints, model_validator

from schemas.activations import Level
from schemas.base import Contract
from schemas.hazards import ISO3, HazardType

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")]
# A name goes into mail headers (To:, the From of a page): no control character, so no CR/LF
# can start a header of its own.
DisplayName = Annotated[str, StringConstraints(min_length=1, pattern=r"^[^\x00-\x1f\x7f]+$")]


class Language(StrEnum):
    JA = "ja"
    EN = "en"


class OrganisationKind(StrEnum):
    NGO = "ngo"
    BUSINESS = "business"
    GOVERNMENT = "government"
    OTHER = "other"


class Reachable(BaseModel):
    """Someone the platform alerts or pages: an email, an apprise URL, or both; never neither.

    Holds no fields (each model keeps its own, in its own order), only the rule.
    """

    if TYPE_CHECKING:
        email: str | None
        apprise_urls: list[SecretStr]

    unreachable: ClassVar[str] = "needs an email or at least one apprise URL"

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.email is None and not self.apprise_urls:
            raise ValueError(self.unreachable)
        return self


class Contact(Contract, Reachable):
    unreachable: ClassVar[str] = "a contact needs an email or at least one apprise URL"

    id: Slug
    name: DisplayName
    role: str | None = None
    language: Language = Language.JA
    email: Email | None = None
    apprise_urls: list[SecretStr] = Field(
        default_factory=list, description="Chat/SMS targets (Slack, Teams, LINE, Telegram, …)."
    )


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


class Sector(StrEnum):
    """Humanitarian sectors (the cluster system's names, shortened)."""

    SHELTER = "shelter"
    WASH = "wash"
    HEALTH = "health"
    FOOD = "food"
    PROTECTION = "protection"
    NFI = "nfi"
    EDUCATION = "education"
    LOGISTICS = "logistics"
    EARLY_RECOVERY = "early_recovery"
    NUTRITION = "nutrition"


class StandbyPlan(Contract):
    """An emergency aid plan made in advance: what the organisation can do, where, how fast."""

    id: Slug
    title_ja: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    hazard_types: list[HazardType] = Field(default_factory=list, description="Empty: any hazard.")
    countries: list[ISO3] = Field(default_factory=list)
    regions: list[str] = Field(
        default_factory=list, description="UN M49 region or sub-region names."
    )
    sectors: list[Sector] = Field(min_length=1)
    staff_deployable: int = Field(ge=0)
    hours_to_deploy: int = Field(ge=0, le=24 * 30)
    partner: str | None = Field(default=None, description="Partner on the ground.")


class Supply(Contract):
    """Stored relief goods in a warehouse."""

    item: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit: str = Field(min_length=1)
    country: ISO3 = Field(description="Where the warehouse is.")
    place: str = Field(min_length=1, description="The warehouse, e.g. `Subic Bay`.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class OfferKind(StrEnum):
    GOODS = "goods"
    AIRLIFT = "airlift"
    SHIPPING = "shipping"
    STAFF = "staff"
    FUNDS = "funds"


class Offer(Contract):
    """What a company can give: goods, transport, people or money, with its capacity."""

    kind: OfferKind
    description: str = Field(min_length=1)
    capacity: str = Field(min_length=1, description="e.g. `20 t per flight`, `¥10,000,000`.")
    hazard_types: list[HazardType] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)


class Organisation(Contract):
    id: Slug
    name_ja: DisplayName
    name_en: DisplayName
    kind: OrganisationKind
    countries: list[ISO3] = Field(default_factory=list, description="Countries of presence.")
    contacts: list[Contact] = Field(min_length=1)
    subscription: Subscription = Subscription()
    plans: list[StandbyPlan] = Field(default_factory=list, description="Standby plans.")
    supplies: list[Supply] = Field(default_factory=list, description="Stored supplies.")
    offers: list[Offer] = Field(default_factory=list, description="A company's offers.")

    @model_validator(mode="after")
    def _unique_plan_ids(self) -> Organisation:
        ids = [plan.id for plan in self.plans]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate plan id in {self.id!r}")
        return self


class Secretariat(Contract):
    """The platform's duty desk, named in every member message as the contact for questions."""

    name_ja: DisplayName
    name_en: DisplayName
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
