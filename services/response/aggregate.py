"""One incident's response as a pure aggregate: open, answer, remind, decide, launch, close.

Every change checks the lifecycle's transition table, changes the aggregate and returns what
it produced (`Effects`: answers to keep, steps to audit and publish, notices for the
notifier, facts to count). Nothing here reads a clock, a database or a metric: the
repository (`repository.RollCalls`) loads a `RollCall`, calls it and saves what it returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schemas.activations import Activation, IncidentSummary, Level
from schemas.base import Message
from schemas.members import MemberDirectory
from schemas.responses import (
    AnswerKind,
    AnswerVia,
    CoordinationNotice,
    NoticeKind,
    Programme,
    RollCallAnswer,
    RollCallStep,
    StepAction,
    StepVia,
    SurveyAssignment,
)
from services.response.lifecycle import DecisionError, Move, ResponseState, next_state
from services.response.rollcall import (
    AnswerView,
    check_survey,
    is_observer,
    not_answered,
)

_NOTICE_NS = uuid.UUID("6f1c2e0a-6b57-4f7e-9a51-7d0c9d2a4e11")


def notice_id(incident_id: str, kind: NoticeKind) -> uuid.UUID:
    """Derive a notice's id: each kind of notice exists once per incident."""
    return uuid.uuid5(_NOTICE_NS, f"{incident_id}:{kind.value}")


@dataclass(frozen=True)
class Audited:
    """One step of the roll-call's audit trail, published on `rollcall.v1` as it is kept."""

    step: RollCallStep
    detail: dict[str, Any]


@dataclass
class Effects:
    """What one change of a roll-call produced."""

    key: str
    answers: list[RollCallAnswer] = field(default_factory=list)  # to keep
    steps: list[Audited] = field(default_factory=list)
    notices: list[CoordinationNotice] = field(default_factory=list)
    # Facts to count once stored.
    answered: tuple[AnswerKind, AnswerVia] | None = None
    first_answer_after_s: float | None = None
    survey_after_s: float | None = None
    reminded: int | None = None  # how many organisations the reminder went to
    answer_ratio: float | None = None  # a roll-call that closed: the share that answered

    @property
    def messages(self) -> list[Message]:
        """In the order they happened: the answer, then its step, then what it tells members."""
        return [*self.answers, *(a.step for a in self.steps), *self.notices]

    def audit(self, step: RollCallStep, detail: dict[str, Any] | None = None) -> None:
        if detail is None:
            detail = step.model_dump(
                mode="json",
                include={"organisation_id", "answer", "organisations"},
                exclude_defaults=True,
            )
        self.steps.append(Audited(step, detail))


def hold(answer: RollCallAnswer) -> Effects:
    """Keep an answer whose roll-call is not open yet: its link was valid, so it counts; its
    step is audited when the roll-call opens (`RollCall.open`)."""
    effects = Effects(key=str(answer.incident_id), answers=[answer])
    effects.answered = (answer.answer, answer.via)
    return effects


@dataclass
class RollCall:
    """An incident's response as the response service handles it."""

    incident_id: str
    activation_id: str
    level: Level
    summary: IncidentSummary
    state: ResponseState
    activated_at: datetime
    opened_at: datetime
    reminder_due_at: datetime
    reminder_sent_at: datetime | None = None
    first_answer_at: datetime | None = None
    survey: list[SurveyAssignment] = field(default_factory=list)
    survey_decided_at: datetime | None = None
    programme: Programme | None = None
    launched_at: datetime | None = None
    closed_at: datetime | None = None

    # --- opening ------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        activation: Activation,
        now: datetime,
        reminder_after: timedelta,
        held: Sequence[AnswerView] = (),
    ) -> tuple[RollCall, Effects]:
        """Open the roll-call of an incident's first member alert; answers that came before it
        (`held`) are attached: audited now, the first of them counted as the first answer."""
        rollcall = cls(
            incident_id=str(activation.incident_id),
            activation_id=str(activation.activation_id),
            level=activation.level,
            summary=activation.summary,
            state=ResponseState.OPEN,
            activated_at=activation.occurred_at,
            opened_at=now,
            reminder_due_at=now + reminder_after,
        )
        effects = Effects(key=rollcall.incident_id)
        step = rollcall._step(StepAction.OPENED, StepVia.SYSTEM, now).model_copy(
            update={"level": activation.level}
        )
        effects.audit(
            step,
            {"level": activation.level.value, "activation_id": rollcall.activation_id},
        )
        for answer in held:
            rollcall._answer_step(effects, answer.organisation_id, answer.answer, answer.via, now)
        if held:
            first = min(a.answered_at for a in held)
            rollcall.first_answer_at = first
            effects.first_answer_after_s = _seconds(rollcall.activated_at, first)
        return rollcall, effects

    def upgrade(self, activation: Activation, now: datetime) -> Effects:
        """A later activation of the incident (an upgrade): the roll-call carries it on."""
        self.activation_id = str(activation.activation_id)
        self.level = activation.level
        self.summary = activation.summary
        effects = Effects(key=self.incident_id)
        step = self._step(StepAction.UPGRADED, StepVia.SYSTEM, now).model_copy(
            update={"level": activation.level}
        )
        effects.audit(step, {"level": activation.level.value, "activation_id": self.activation_id})
        return effects

    # --- answers ------------------------------------------------------------------------------
    def answer(self, answer: RollCallAnswer) -> Effects:
        """Keep a member's (or a phoned) answer; refused once the response is closed."""
        self.state = next_state(self.state, Move.ANSWER)
        effects = Effects(key=self.incident_id, answers=[answer])
        effects.answered = (answer.answer, answer.via)
        if self.first_answer_at is None:
            self.first_answer_at = answer.occurred_at
            effects.first_answer_after_s = _seconds(self.activated_at, answer.occurred_at)
        self._answer_step(
            effects,
            answer.organisation_id,
            answer.answer,
            answer.via,
            answer.occurred_at,
            answer.recorded_by,
        )
        return effects

    def _answer_step(
        self,
        effects: Effects,
        organisation_id: str,
        answer: AnswerKind,
        via: AnswerVia,
        at: datetime,
        officer_id: str | None = None,
    ) -> None:
        phone = via is AnswerVia.PHONE
        step = self._step(
            StepAction.PHONE_ANSWER_RECORDED if phone else StepAction.ANSWER_RECORDED,
            StepVia.CONSOLE if phone else StepVia.LINK,
            at,
            officer_id,
        ).model_copy(update={"organisation_id": organisation_id, "answer": answer})
        effects.audit(step)

    # --- the reminder ---------------------------------------------------------------------------
    def reminder_due(self, now: datetime) -> bool:
        return self.state.is_open and self.reminder_sent_at is None and self.reminder_due_at <= now

    def remind(
        self,
        addressed: Sequence[str],
        answers: Sequence[AnswerView],
        directory: MemberDirectory,
        now: datetime,
    ) -> Effects:
        """Send the one reminder to the silent (observers are asked nothing); at most once."""
        effects = Effects(key=self.incident_id)
        if not self.reminder_due(now):
            return effects
        self.state = next_state(self.state, Move.REMIND)
        self.reminder_sent_at = now
        observers = _observers(directory)
        silent = [o for o in not_answered(addressed, answers) if o not in observers]
        step = self._step(StepAction.REMINDER_SENT, StepVia.TIMER, now)
        effects.audit(step.model_copy(update={"organisations": silent}))
        if silent:
            effects.notices.append(self._notice(NoticeKind.REMINDER, silent))
        effects.reminded = len(silent)
        return effects

    # --- decisions ------------------------------------------------------------------------------
    def decide_survey(
        self,
        choices: Mapping[str, int],
        latest: Mapping[str, AnswerView],
        addressed: Sequence[str],
        *,
        cap_jpy: int,
        report_days: int,
        officer_id: str,
        now: datetime,
    ) -> Effects:
        """Send one to three organisations that can deploy on the initial survey, each with a
        budget no higher than the cap; once."""
        target = next_state(self.state, Move.DECIDE_SURVEY)
        assignments = check_survey(choices, latest, cap_jpy=cap_jpy)
        self.state, self.survey, self.survey_decided_at = target, assignments, now
        report_by = now + timedelta(days=report_days)
        chosen = [a.organisation_id for a in assignments]
        others = [o for o in addressed if o not in chosen]
        effects = Effects(key=self.incident_id)
        effects.audit(
            self._step(StepAction.SURVEY_DECIDED, StepVia.CONSOLE, now, officer_id).model_copy(
                update={"organisations": chosen}
            ),
            {
                "survey": [a.model_dump(mode="json") for a in assignments],
                "report_by": report_by.isoformat(),
            },
        )
        told = {"survey": assignments, "report_by": report_by}
        effects.notices.append(
            self._notice(NoticeKind.SURVEY_DECISION, chosen, officer_id).model_copy(update=told)
        )
        if others:
            effects.notices.append(
                self._notice(NoticeKind.SURVEY_NOTICE, others, officer_id).model_copy(update=told)
            )
        effects.survey_after_s = _seconds(self.activated_at, now)
        return effects

    def launch(
        self,
        programme: Programme,
        latest: Mapping[str, AnswerView],
        addressed: Sequence[str],
        directory: MemberDirectory,
        *,
        officer_id: str,
        now: datetime,
    ) -> Effects:
        """Launch the programme: participants are told to deploy (with their budget), the
        others who may still join that they are not listed, observers for information; an
        organisation that said *not this time* is not told to deploy."""
        target = next_state(self.state, Move.LAUNCH)
        known = {o.id: o for o in directory.organisations}
        unknown = [p for p in programme.participants if p not in known]
        _refuse(unknown, "unknown organisation(s)", "refused_unknown")
        observers = _observers(directory)
        watching = [p for p in programme.participants if p in observers]
        _refuse(watching, "an observer cannot take part", "refused_observer")
        declined = {o for o, a in latest.items() if a.answer is AnswerKind.NOT_THIS_TIME}
        refused = [p for p in programme.participants if p in declined]
        _refuse(refused, "answered not this time", "refused_declined")
        strays = [o for o in programme.budgets_jpy if o not in programme.participants]
        _refuse(strays[:1], "a budget for an organisation not taking part", "refused_stray_budget")
        self.state, self.programme = target, programme
        self.launched_at = now
        participants = list(programme.participants)
        everyone = list(dict.fromkeys([*addressed, *sorted(latest)]))
        others = [o for o in everyone if o not in participants]
        not_listed = [o for o in others if o not in declined and o not in observers]
        watchers = [o for o in others if o in observers]
        effects = Effects(key=self.incident_id)
        effects.audit(
            self._step(StepAction.PROGRAMME_LAUNCHED, StepVia.CONSOLE, now, officer_id).model_copy(
                update={"organisations": participants, "programme": programme}
            ),
            programme.model_dump(mode="json"),
        )
        told = {"programme": programme}
        for kind, organisations in (
            (NoticeKind.PROGRAMME_LAUNCH, participants),
            (NoticeKind.PROGRAMME_NOT_LISTED, not_listed),
            (NoticeKind.PROGRAMME_NOTICE, watchers),
        ):
            if organisations:
                notice = self._notice(kind, organisations, officer_id).model_copy(update=told)
                effects.notices.append(notice)
        effects.answer_ratio = _ratio(addressed, latest)
        return effects

    def close(self, officer_id: str, now: datetime, directory: MemberDirectory) -> Effects:
        """Close the running programme: its participants and the observers are told."""
        self.state = next_state(self.state, Move.CLOSE)
        self.closed_at = now
        assert self.programme is not None  # only a launched response closes
        participants = list(self.programme.participants)
        observers = sorted(_observers(directory))
        effects = Effects(key=self.incident_id)
        effects.audit(
            self._step(StepAction.PROGRAMME_CLOSED, StepVia.CONSOLE, now, officer_id).model_copy(
                update={"organisations": participants, "programme": self.programme}
            )
        )
        told = list(dict.fromkeys([*participants, *observers]))
        effects.notices.append(
            self._notice(NoticeKind.PROGRAMME_CLOSED, told, officer_id).model_copy(
                update={"programme": self.programme}
            )
        )
        return effects

    def stand_down(
        self,
        officer_id: str | None,
        via: StepVia,
        now: datetime,
        addressed: Sequence[str],
        latest: Mapping[str, AnswerView],
    ) -> Effects:
        """The duty officer stood the activation down: the roll-call closes (members are told
        by duty's stand-down notice)."""
        self.state = next_state(self.state, Move.STAND_DOWN)
        self.closed_at = now
        effects = Effects(key=self.incident_id)
        effects.audit(self._step(StepAction.CLOSED_STOOD_DOWN, via, now, officer_id))
        effects.answer_ratio = _ratio(addressed, latest)
        return effects

    # --- helpers --------------------------------------------------------------------------------
    def _step(
        self, action: StepAction, via: StepVia, at: datetime, officer_id: str | None = None
    ) -> RollCallStep:
        return RollCallStep(
            incident_id=uuid.UUID(self.incident_id),
            activation_id=uuid.UUID(self.activation_id),
            action=action,
            via=via,
            officer_id=officer_id,
            occurred_at=at,
        )

    def _notice(
        self, kind: NoticeKind, organisations: Sequence[str], officer_id: str | None = None
    ) -> CoordinationNotice:
        return CoordinationNotice(
            notice_id=notice_id(self.incident_id, kind),
            kind=kind,
            incident_id=uuid.UUID(self.incident_id),
            activation_id=uuid.UUID(self.activation_id),
            summary=self.summary,
            organisations=list(organisations),
            officer_id=officer_id,
        )


def _refuse(found: Sequence[str], what: str, word: str) -> None:
    """Refuse a launch naming the organisations at fault (`word`: the pages' sentence)."""
    if found:
        raise DecisionError(f"{what}: {', '.join(found)}", word=word, organisations=found)


def _observers(directory: MemberDirectory) -> set[str]:
    return {o.id for o in directory.organisations if is_observer(o)}


def _seconds(since: datetime, until: datetime) -> float:
    # Triage's clock may run a little ahead of this one: never a negative duration.
    return max(0.0, (until - since).total_seconds())


def _ratio(addressed: Sequence[str], latest: Mapping[str, AnswerView]) -> float | None:
    """The share of the addressed organisations that answered (None: nobody was addressed)."""
    asked = set(addressed)
    return len(asked & set(latest)) / len(asked) if asked else None
