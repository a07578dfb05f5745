"""Duty officers as `rota.yaml` lists them: who they are, how to reach them, what they may see.

A configuration contract rather than a topic: duty reads the whole rota (shifts, chain), the
notifier reads only the officers, to reach the one a page names. So officers' chat URLs stay
in the file and never cross the broker.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from schemas.members import DisplayName, Email, Language, Reachable, Slug


class Role(StrEnum):
    DIRECTOR = "director"  # also sees the console's security log


class Officer(Reachable):
    """A duty officer who can be paged and can log in to the console."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    unreachable: ClassVar[str] = "an officer needs an email or at least one apprise URL to be paged"

    id: Slug
    name: DisplayName
    language: Language = Language.JA
    email: Email | None = None
    apprise_urls: list[SecretStr] = Field(default_factory=list)
    password_hash: SecretStr | None = Field(
        default=None,
        description="argon2 hash (`standby duty-hash-password`); none: no console login.",
    )
    roles: list[Role] = Field(
        default_factory=list, description="`director`: sees the security log."
    )

    @property
    def is_director(self) -> bool:
        return Role.DIRECTOR in self.roles


class OfficerDirectory(BaseModel):
    """Only the officers of a rota file; the rest of the file is the duty service's business."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    officers: list[Officer] = Field(min_length=1)

    def officer(self, officer_id: str) -> Officer | None:
        """Find an officer by id."""
        return next((o for o in self.officers if o.id == officer_id), None)
