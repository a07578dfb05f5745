"""What the response service does, as one class: thin shells around the `RollCall` aggregate.

Every path (a consumed message, a member's answer, an officer's decision, the reminder clock)
opens one unit of work, loads the roll-call, changes it and hands what the change produced to
the unit of work: the answer, its audit step and the notices commit together or not at all,
so a crash after an answer's POST loses nothing (the relay publishes it once back).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckEvent, AckState
from schemas.activations import Activation, Level
from schemas.deliveries import Delivery, DeliveryKind
from schemas.members import Sector
from schemas.responses import (
    AnswerKind,
    AnswerVia,
    Programme,
    RollCallAnswer,
    StepVia,
    SurveyAssignment,
)
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.settings import ResponseSettings
from services.common.unit_of_work import Work
from services.response import repository, store
from services.response.aggregate import Effects, RollCall, hold
from services.response.lifecycle import DecisionError, Move, allowed_moves
from services.response.rollcall import AnswerView, latest_answers

log = get_logger(__name__)

# An officer's decision: the roll-call, the organisations addressed, their latest answers, now.
Decision = Callable[[RollCall, list[str], dict[str, AnswerView], datetime], Effects]


class NoRollCallError(DecisionError):
    """An officer's decision names an incident without a roll-call."""


@dataclass(frozen=True)
class AnswerForm:
    """What a member (or an officer on the phone) says: the fields of a RollCallAnswer that
    carry the answer itself, by the same names."""

    answer: AnswerKind
    earliest_arrival_hours: int | None = None
    staff: int | None = None
    sectors: tuple[Sector, ...] = ()
    survey_budget_jpy: int | None = None
    note: str | None = None


@dataclass
class ResponseHandlers:
    work: Work
    directory: MemberDirectoryFile
    settings: ResponseSettings
    clock: Callable[[], datetime]

    # --- consumed facts ---------------------------------------------------------------------
    async def on_activation(self, activation: Activation) -> None:
        """Open the incident's roll-call when members are asked whether they can respond;
        answers that came before it are attached now."""
        if activation.level < Level.STANDBY:
            async with self.work() as work:
                await work.claim(activation)
            return
        now = self.clock()
        incident_id = str(activation.incident_id)
        async with self.work() as work:
            if not await work.claim(activation):
                return
            rollcall = await repository.load(work.session, incident_id)
            if rollcall is None:
                held = await store.answers(work.session, incident_id)
                rollcall, effects = RollCall.open(
                    activation,
                    now,
                    timedelta(minutes=self.settings.reminder_after_min),
                    held,
                )
                if held:
                    log.info("held_answers_attached", incident_id=incident_id, answers=len(held))
            else:
                effects = rollcall.upgrade(activation, now)
            work.add(await repository.save(work.session, rollcall, effects))

    async def on_delivery(self, delivery: Delivery) -> None:
        """Remember which organisations the member alert was addressed to."""
        async with self.work() as work:
            if not await work.claim(delivery):
                return
            if delivery.kind is not DeliveryKind.MEMBER_ALERT or not delivery.organisation_id:
                return
            if delivery.incident_id is None:
                return
            await store.add_addressed(
                work.session,
                str(delivery.incident_id),
                delivery.organisation_id,
                delivery.occurred_at,
            )

    async def on_ack(self, ack: AckEvent) -> None:
        """A stand-down closes a roll-call whose programme never launched."""
        async with self.work() as work:
            if not await work.claim(ack) or ack.state is not AckState.STOOD_DOWN:
                return
            incident_id = str(ack.incident_id)
            rollcall = await repository.load(work.session, incident_id)
            if rollcall is None or Move.STAND_DOWN not in allowed_moves(rollcall.state):
                log.info("stand_down_not_for_rollcall", incident_id=incident_id)
                return
            addressed, latest = await self._answered(work.session, incident_id)
            effects = rollcall.stand_down(
                ack.officer_id, StepVia(ack.via.value), self.clock(), addressed, latest
            )
            work.add(await repository.save(work.session, rollcall, effects))

    # --- answers ----------------------------------------------------------------------------
    async def answer(
        self,
        incident_id: str,
        organisation_id: str,
        form: AnswerForm,
        *,
        contact_id: str | None,
        via: AnswerVia,
        officer_id: str | None = None,
    ) -> RollCallAnswer:
        """Keep an answer and publish it; held until the roll-call opens, refused once the
        response closed (LifecycleError)."""
        message = RollCallAnswer(
            incident_id=uuid.UUID(incident_id),
            organisation_id=organisation_id,
            contact_id=contact_id,
            via=via,
            recorded_by=officer_id,
            occurred_at=self.clock(),
            **asdict(form),  # what was said, field for field
        )
        async with self.work() as work:
            rollcall = await repository.load(work.session, incident_id, lock=False)
            if rollcall is None:
                work.add(await repository.keep(work.session, hold(message)))
            else:
                effects = rollcall.answer(message)
                work.add(await repository.save(work.session, rollcall, effects))
        log.info(
            "rollcall_answer_recorded",
            incident_id=incident_id,
            organisation=organisation_id,
            answer=form.answer.value,
            via=via.value,
            held=rollcall is None,
        )
        return message

    # --- the reminder clock -------------------------------------------------------------------
    async def send_due_reminders(self) -> int:
        """Send the one reminder of every roll-call whose time came; return how many went out."""
        now = self.clock()
        async with self.work() as work:
            due = await store.due_reminders(work.session, now)
        sent = 0
        for incident_id in due:
            async with self.work() as work:
                rollcall = await repository.load(work.session, incident_id)
                if rollcall is None:
                    continue
                effects = rollcall.remind(
                    await store.addressed(work.session, incident_id),
                    await store.answers(work.session, incident_id),
                    self.directory.current(),
                    now,
                )
                work.add(await repository.save(work.session, rollcall, effects))
            if effects.reminded:
                sent += 1
            log.info("rollcall_reminder", incident_id=incident_id, organisations=effects.reminded)
        return sent

    # --- decisions ----------------------------------------------------------------------------
    # Each decision can be reviewed first (`review=True`): the same rules run on the same
    # answers and a refusal is raised, but nothing is kept, so the review page says what is
    # wrong before the officer confirms.
    async def decide_survey(
        self, incident_id: str, choices: Mapping[str, int], officer_id: str, *, review: bool = False
    ) -> list[SurveyAssignment]:
        """Send one to three organisations on the initial survey with a budget cap each."""
        rollcall = await self._decide(
            incident_id,
            lambda held, addressed, latest, now: held.decide_survey(
                choices,
                latest,
                addressed,
                cap_jpy=self.settings.survey_budget_jpy,
                report_days=self.settings.survey_report_days,
                officer_id=officer_id,
                now=now,
            ),
            review=review,
        )
        if not review:
            log.info("survey_decided", incident_id=incident_id, organisations=list(choices))
        return rollcall.survey

    async def launch(
        self, incident_id: str, programme: Programme, officer_id: str, *, review: bool = False
    ) -> None:
        """Launch the programme (the one launch, whether the officer came from the console or
        the board): participants deploy, the others are told what concerns them."""
        directory = self.directory.current()
        await self._decide(
            incident_id,
            lambda held, addressed, latest, now: held.launch(
                programme, latest, addressed, directory, officer_id=officer_id, now=now
            ),
            review=review,
        )
        if not review:
            log.info("programme_launched", incident_id=incident_id, name=programme.name_en)

    async def close(self, incident_id: str, officer_id: str, *, review: bool = False) -> None:
        """Close the running programme."""
        directory = self.directory.current()
        await self._decide(
            incident_id,
            lambda held, _a, _l, now: held.close(officer_id, now, directory),
            review=review,
        )
        if not review:
            log.info("programme_closed", incident_id=incident_id)

    async def _decide(
        self, incident_id: str, decision: Decision, *, review: bool = False
    ) -> RollCall:
        """Take an officer's decision on the incident's roll-call (locked) in one unit of work;
        a refusal (DecisionError) changes nothing, nor does a review."""
        async with self.work() as work:
            rollcall = await self._load(work.session, incident_id)
            addressed, latest = await self._answered(work.session, incident_id)
            effects = decision(rollcall, addressed, latest, self.clock())
            if not review:
                work.add(await repository.save(work.session, rollcall, effects))
        return rollcall

    async def refresh_gauges(self) -> None:
        """Count the organisations addressed by, and answering, the open roll-calls."""
        async with self.work() as work:
            addressed, answered = await store.open_counts(work.session)
        repository.set_open_gauges(addressed, answered)

    async def _load(self, session: AsyncSession, incident_id: str) -> RollCall:
        rollcall = await repository.load(session, incident_id)
        if rollcall is None:
            raise NoRollCallError("no roll-call for this incident")
        return rollcall

    @staticmethod
    async def _answered(
        session: AsyncSession, incident_id: str
    ) -> tuple[list[str], dict[str, AnswerView]]:
        addressed = await store.addressed(session, incident_id)
        return addressed, latest_answers(await store.answers(session, incident_id))
