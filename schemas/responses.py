"""`answers.v1`, `coordination.v1` and `rollcall.v1`: the member roll-call and what the
secretariat decides from it.

`answers.v1` carries every answer a member organisation gives to an incident's roll-call
(through its answer link, or taken by phone by an officer); the latest per organisation counts
and every one is kept. `coordination.v1` carries the messages the notifier turns into mail:
reminders, the initial survey decision and the programme launch. `rollcall.v1` carries the
roll-call's audit trail, one message per step, for the timelines of other services.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.activations import IncidentSummary, Level
from schemas.base import Contract, Message
from schemas.members import OrganisationKind, Sector
from schemas.topics import ANSWERS, COORDINATION, ROLLCALL


class AnswerKind(StrEnum):
    """What a member says it will do."""

    CAN_DEPLOY = "can_deploy"
    ON_SITE = "on_site"
    NOT_THIS_TIME = "not_this_time"
    OFFER_SUPPORT = "offer_support"


# What each kind of member organisation is asked: an NGO whether it deploys, a company
# whether it offers support, the government observer nothing (it is kept informed).
ANSWERS_BY_KIND: dict[OrganisationKind, tuple[AnswerKind, ...]] = {
    OrganisationKind.NGO: (AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE, AnswerKind.NOT_THIS_TIME),
    OrganisationKind.BUSINESS: (AnswerKind.OFFER_SUPPORT, AnswerKind.NOT_THIS_TIME),
    OrganisationKind.GOVERNMENT: (),
    OrganisationKind.OTHER: (AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE, AnswerKind.NOT_THIS_TIME),
}


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
    PROGRAMME_LAUNCH = "programme_launch"  # participants: deploy according to your plan
    PROGRAMME_NOT_LISTED = "programme_not_listed"  # not listed: answer if you can join
    PROGRAMME_NOTICE = "programme_notice"  # observers: for information, nothing to answer
    PROGRAMME_CLOSED = "programme_closed"


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
    budgets_jpy: dict[str, int] = Field(
        default_factory=dict,
        description="Each participant's own budget (yen), told to it in its deploy notice.",
    )


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


class StepAction(StrEnum):
    """A step of an incident's roll-call."""

    OPENED = "rollcall_opened"
    UPGRADED = "rollcall_upgraded"
    ANSWER_RECORDED = "answer_recorded"
    PHONE_ANSWER_RECORDED = "phone_answer_recorded"
    REMINDER_SENT = "reminder_sent"
    SURVEY_DECIDED = "survey_decided"
    PROGRAMME_LAUNCHED = "programme_launched"
    PROGRAMME_CLOSED = "programme_closed"
    CLOSED_STOOD_DOWN = "rollcall_closed_stood_down"


class StepVia(StrEnum):
    """How a step came about: the activation, a member's link, an officer, the reminder clock."""

    SYSTEM = "system"
    LINK = "link"
    CONSOLE = "console"
    API = "api"
    TIMER = "timer"


class RollCallStep(Message):
    """One audited step of an incident's roll-call; `occurred_at` is when it was taken."""

    topic: ClassVar[str] = ROLLCALL

    incident_id: UUID
    activation_id: UUID = Field(description="The incident's activation when the step was taken.")
    action: StepAction
    via: StepVia
    officer_id: str | None = Field(default=None, description="The officer who took the step.")
    level: Level | None = Field(default=None, description="Opened or upgraded: the level.")
    organisation_id: str | None = Field(default=None, description="The organisation answering.")
    answer: AnswerKind | None = None
    organisations: list[str] = Field(
        default_factory=list,
        description="Reminded (the silent), sent on the survey, or taking part in the programme.",
    )
    programme: Programme | None = None
