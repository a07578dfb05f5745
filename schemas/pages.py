"""`pages.v1`: duty asks for a duty officer to be paged about an activation."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.activations import IncidentSummary, Level, Reason
from schemas.base import Contract, Message
from schemas.topics import PAGES


class PageTarget(Contract):
    """The officer to page. Channels are not carried: the notifier reads them from the rota."""

    officer_id: str
    name: str
    language: str = "en"
    # Kept so pages from an older duty still parse; nothing fills or reads them any more.
    email: str | None = Field(default=None, description="Deprecated: not filled, ignored.")
    apprise_urls: list[str] = Field(
        default_factory=list,
        description="Deprecated: not filled (chat tokens stay off the broker), ignored.",
    )


class Page(Message):
    """One page to one officer at one step of an escalation."""

    topic: ClassVar[str] = PAGES

    page_id: UUID
    activation_id: UUID
    incident_id: UUID
    level: Level
    step: int = Field(ge=0, description="Escalation step: 0 is the on-duty officer.")
    target: PageTarget
    summary: IncidentSummary
    ack_url: str | None = Field(default=None, description="Signed link to the confirm page.")
    console_url: str | None = None
    # What the officer decides on, so the page alone is enough at 3 a.m.
    score: float | None = Field(default=None, ge=0, le=100)
    reasons: list[Reason] = Field(default_factory=list)
    escalates_at: AwareDatetime | None = Field(
        default=None, description="When the next step is paged if nobody acknowledges."
    )
    next_names: list[str] = Field(
        default_factory=list, description="Who the next step pages, by name."
    )
    link_expires_at: AwareDatetime | None = Field(
        default=None, description="When `ack_url` stops working."
    )
