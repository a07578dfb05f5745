"""The roll-call as officers read it: latest answers, totals, who is silent, and the decisions.

Pure functions of stored answers, the organisations addressed and the member directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from schemas.activations import IncidentSummary
from schemas.members import MemberDirectory, Organisation, OrganisationKind
from schemas.responses import ANSWERS_BY_KIND, AnswerKind, AnswerVia, SurveyAssignment
from services.domain.plans import OrganisationMatch, match_incident
from services.response.lifecycle import DecisionError

#: Answers that put an organisation forward for the survey and the programme.
WILLING = frozenset({AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE})
MAX_SURVEY_ORGANISATIONS = 3


@dataclass(frozen=True)
class AnswerView:
    """One stored answer."""

    seq: int
    answer_id: str
    organisation_id: str
    contact_id: str | None
    answer: AnswerKind
    earliest_arrival_hours: int | None
    staff: int | None
    sectors: tuple[str, ...]
    survey_budget_jpy: int | None
    note: str | None
    via: AnswerVia
    recorded_by: str | None
    answered_at: datetime


@dataclass(frozen=True)
class StepView:
    """One kept step of the audit trail (`models.AuditRow`)."""

    id: int
    at: datetime
    action: str
    officer_id: str | None
    via: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class BoardRow:
    organisation_id: str
    organisation: Organisation | None
    latest: AnswerView | None
    answers: int
    match: OrganisationMatch | None

    @property
    def observer(self) -> bool:
        """Told what happens, never asked: not silent, and never a participant."""
        return self.organisation is not None and is_observer(self.organisation)


@dataclass(frozen=True)
class Totals:
    addressed: int
    answered: int
    by_answer: dict[AnswerKind, int]
    staff: int
    budget_requested_jpy: int
    supplies: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def answer_rate(self) -> float:
        return self.answered / self.addressed if self.addressed else 0.0


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    totals: Totals
    not_answered: list[BoardRow]


def latest_answers(answers: Iterable[AnswerView]) -> dict[str, AnswerView]:
    """Keep each organisation's latest answer (highest sequence number)."""
    latest: dict[str, AnswerView] = {}
    for answer in answers:
        held = latest.get(answer.organisation_id)
        if held is None or answer.seq > held.seq:
            latest[answer.organisation_id] = answer
    return latest


def build_board(
    summary: IncidentSummary,
    addressed: Sequence[str],
    answers: Sequence[AnswerView],
    directory: MemberDirectory,
) -> Board:
    """Build the board: every addressed organisation (and any that answered), with totals."""
    latest = latest_answers(answers)
    counts: dict[str, int] = {}
    for answer in answers:
        counts[answer.organisation_id] = counts.get(answer.organisation_id, 0) + 1
    orgs = {org.id: org for org in directory.organisations}
    matches = _matches(directory, summary)
    ids = list(dict.fromkeys([*addressed, *sorted(latest)]))
    rows = [
        BoardRow(
            org_id, orgs.get(org_id), latest.get(org_id), counts.get(org_id, 0), matches.get(org_id)
        )
        for org_id in ids
    ]
    by_answer = dict.fromkeys(AnswerKind, 0)
    staff = budget = 0
    supplies: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.latest is None:
            continue
        by_answer[row.latest.answer] += 1
        if row.latest.answer in WILLING:
            staff += row.latest.staff or 0
            budget += row.latest.survey_budget_jpy or 0
        if row.latest.answer is not AnswerKind.NOT_THIS_TIME and row.match is not None:
            for stock in row.match.stock:
                key = (stock.supply.item, stock.supply.unit)
                supplies[key] = supplies.get(key, 0) + stock.supply.quantity
    answered = sum(1 for row in rows if row.latest is not None)
    totals = Totals(
        addressed=len(rows),
        answered=answered,
        by_answer=by_answer,
        staff=staff,
        budget_requested_jpy=budget,
        supplies=supplies,
    )
    silent = [row for row in rows if row.latest is None and not row.observer]
    return Board(rows, totals, silent)


# The last few (directory, incident place) matches. Matching 500 organisations' plans, offers
# and stock was a third of every board read while only answers change between two reads; a
# directory edited on disk is a new object, so it is matched afresh.
_MATCHED: list[tuple[MemberDirectory, tuple[Any, ...], dict[str, OrganisationMatch]]] = []


def _matches(directory: MemberDirectory, summary: IncidentSummary) -> dict[str, OrganisationMatch]:
    place = (summary.hazard_type, tuple(summary.countries), summary.lat, summary.lon)
    for held, held_place, found in _MATCHED:
        if held is directory and held_place == place:
            return found
    found = match_incident(directory, summary)
    _MATCHED[:] = [(directory, place, found), *_MATCHED[:7]]
    return found


def not_answered(addressed: Iterable[str], answers: Iterable[AnswerView]) -> list[str]:
    """Name the addressed organisations without any answer yet."""
    answered = {a.organisation_id for a in answers}
    return [org for org in addressed if org not in answered]


def is_observer(org: Organisation) -> bool:
    """The government observer is told what happens and asked nothing."""
    return org.kind is OrganisationKind.GOVERNMENT


def answer_kinds_for(org: Organisation | None) -> list[AnswerKind]:
    """The answers an organisation is offered (`ANSWERS_BY_KIND`); one the directory no longer
    holds (a phoned answer) is offered an NGO's."""
    return list(ANSWERS_BY_KIND[org.kind if org is not None else OrganisationKind.NGO])


def check_survey(
    choices: Mapping[str, int], latest: Mapping[str, AnswerView], *, cap_jpy: int
) -> list[SurveyAssignment]:
    """Validate an initial survey decision: one to three willing organisations, budgets ≤ cap."""
    if not 1 <= len(choices) <= MAX_SURVEY_ORGANISATIONS:
        raise DecisionError(
            f"choose one to {MAX_SURVEY_ORGANISATIONS} organisations",
            word="missing_organisations",
        )
    assignments = []
    for org_id, budget in choices.items():
        answer = latest.get(org_id)
        if answer is None or answer.answer not in WILLING:
            raise DecisionError(
                f"{org_id} has not answered that it can deploy",
                word="refused_not_willing",
                organisations=[org_id],
            )
        if not 0 < budget <= cap_jpy:
            raise DecisionError(
                f"the budget for {org_id} must be between ¥1 and ¥{cap_jpy:,}",
                word="refused_budget",
                organisations=[org_id],
                cap_jpy=cap_jpy,
            )
        assignments.append(SurveyAssignment(organisation_id=org_id, budget_jpy=budget))
    return assignments


def preselected_participants(
    latest: Mapping[str, AnswerView], survey: Iterable[str] = ()
) -> list[str]:
    """Pre-select the programme's participants: the survey's organisations and the willing."""
    chosen = list(dict.fromkeys(survey))
    chosen += [
        org for org, a in sorted(latest.items()) if a.answer in WILLING and org not in chosen
    ]
    return chosen


class AuditedStep(Protocol):
    """A kept step of the audit trail (`StepView`, `models.AuditRow`)."""

    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def officer_id(self) -> str | None: ...
    @property
    def detail(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TimelineLine:
    """One line of the board's timeline; an organisation's answers are one line, its latest,
    with how many it gave."""

    at: datetime
    action: str
    officer_id: str | None
    organisation_id: str | None = None
    answer: str | None = None
    organisations: tuple[str, ...] = ()
    answers: int = 1


_ANSWER_STEPS = frozenset({"answer_recorded", "phone_answer_recorded"})


def timeline(trail: Sequence[AuditedStep]) -> list[TimelineLine]:
    """The audit trail as the board shows it: one organisation changing its answer 16 times
    is one line (where its latest answer stands), not 16."""
    lines: list[TimelineLine] = []
    answered: dict[str, int] = {}
    for step in trail:
        org = step.detail.get("organisation_id")
        line = TimelineLine(
            at=step.at,
            action=step.action,
            officer_id=step.officer_id,
            organisation_id=org,
            answer=step.detail.get("answer"),
            organisations=_named(step.detail),
        )
        if step.action in _ANSWER_STEPS and org:
            previous = answered.get(org)
            if previous is not None:
                line = replace(line, answers=lines[previous].answers + 1)
                lines[previous] = replace(lines[previous], action="")  # folded
            answered[org] = len(lines)
        lines.append(line)
    return [line for line in lines if line.action]


def _named(detail: Mapping[str, Any]) -> tuple[str, ...]:
    """The organisations a step names: the reminded, the surveyed or the participants."""
    survey = [a.get("organisation_id") for a in detail.get("survey") or ()]
    found = detail.get("organisations") or survey or detail.get("participants") or ()
    return tuple(str(o) for o in found if o)
