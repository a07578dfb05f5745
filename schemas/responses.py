"""`answers.v1` and `coordination.v1`: the member roll-call and what the secretariat decides from it.

`answers.v1` carries every answer a member organisation gives to an incident's roll-call
(through its answer link, or taken by phone by an officer); the latest per organisation counts
and every one is kept. `coordination.v1` carries the messages the notifier turns into mail:
reminders, the initial survey decision and the programme launch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.activations import IncidentSummary
from schemas.base import Contract, Message
from schemas.members import Sector
from schemas.topics import ANSWERS, COORDINATION


class AnswerKind(StrEnum):
    """What a member says it will do."""

    CAN_DEPLOY = "can_deploy"
    ON_SITE = "on_site"
    NOT_THIS_TIME = "not_this_time"
    OFFER_SUPPORT = "offer_support"


class AnswerVia(StrEnum):
    LINK = "link"
    PHONE = "phone"


class RollCallAnswer(Message):
    """One answer of one organisation to an incident's roll-call."""

    topic: ClassVar[str] = ANSWERS

    incident_id: UUID
    organisation_id: str = Field(min_length=1)
    contact_id: str | None = Field(default=None, description="Who answered (a link's contact).")
    answer: AnswerKind
    earliest_arrival_hours: int | None = Field(default=None, ge=0, le=24 * 60)
    staff: int | None = Field(default=None, ge=0, le=10_000)
    sectors: list[Sector] = Field(default_factory=list)
    survey_budget_jpy: int | None = Field(default=None, ge=0, le=10_000_000_000)
    note: str | None = Field(default=None, max_length=2000)
    via: AnswerVia
    recorded_by: str | None = Field(
        default=None, description="The officer who took a phone answer."
    )


class NoticeKind(StrEnum):
    REMINDER = "reminder"
    SURVEY_DECISION = "survey_decision"
    SURVEY_NOTICE = "survey_notice"
    PROGRAMME_LAUNCH = "programme_launch"


class SurveyAssignment(Contract):
    """One organisation sent on the initial survey, with its budget cap."""

    organisation_id: str
    budget_jpy: int = Field(ge=0)


class Programme(Contract):
    """A launched response programme."""

    name_ja: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    duration_months: int = Field(ge=1, le=60)
    participants: list[str] = Field(min_length=1)
    government_budget_jpy: int = Field(ge=0)
    private_budget_jpy: int = Field(ge=0)


class CoordinationNotice(Message):
    """Something the notifier tells member organisations on the secretariat's behalf."""

    topic: ClassVar[str] = COORDINATION

    notice_id: UUID = Field(
        description="Stable id of the notice; the notifier's idempotency scope."
    )
    kind: NoticeKind
    incident_id: UUID
    activation_id: UUID
    summary: IncidentSummary
    organisations: list[str] = Field(description="Organisation ids to tell (all their contacts).")
    survey: list[SurveyAssignment] = Field(default_factory=list)
    report_by: AwareDatetime | None = Field(default=None, description="Survey report deadline.")
    programme: Programme | None = None
    officer_id: str | None = None
