"""What the response service does: open roll-calls, keep answers, remind once, decide, launch.

Every step runs in one transaction that also writes its audit record and the messages it
publishes (outbox), so a crash after the answer's POST loses nothing: the relay publishes
the committed answer when the service is back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckEvent, AckState
from schemas.activations import Activation, Level
from schemas.deliveries import Delivery, DeliveryKind
from schemas.members import Sector
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
from services.common.db import Transaction
from services.common.logs import get_logger
from services.common.outbox import enqueue
from services.common.settings import ResponseSettings
from services.common.unit_of_work import UnitOfWork
from services.response import metrics, store
from services.response.directory import Directory
from services.response.models import RollCall
from services.response.rollcall import (
    DecisionError,
    RollCallStatus,
    check_survey,
    latest_answers,
    not_answered,
)

log = get_logger(__name__)

_NOTICE_NS = uuid.UUID("6f1c2e0a-6b57-4f7e-9a51-7d0c9d2a4e11")


class RollCallClosedError(DecisionError):
    """The roll-call no longer takes answers or decisions."""


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


def notice_id(incident_id: str, kind: NoticeKind) -> uuid.UUID:
    """Derive a notice's id: each kind of notice exists once per incident."""
    return uuid.uuid5(_NOTICE_NS, f"{incident_id}:{kind.value}")


@dataclass
class Coordinator:
    transaction: Transaction
    directory: Directory
    settings: ResponseSettings
    clock: Callable[[], datetime]

    # --- consumed facts ------------------------------------------------------------------
    async def on_activation(self, session: AsyncSession, activation: Activation) -> None:
        """Open the incident's roll-call when members are asked whether they can respond."""
        if activation.level < Level.STANDBY:
            return
        now = self.clock()
        opened = await store.open_rollcall(
            session, activation, now, timedelta(minutes=self.settings.reminder_after_min)
        )
        step = RollCallStep(
            incident_id=activation.incident_id,
            activation_id=activation.activation_id,
            action=StepAction.OPENED if opened else StepAction.UPGRADED,
            via=StepVia.SYSTEM,
            level=activation.level,
            occurred_at=now,
        )
        detail = {"level": activation.level.value, "activation_id": str(activation.activation_id)}
        await _audited(session, step, detail)

    async def on_delivery(self, session: AsyncSession, delivery: Delivery) -> None:
        """Remember which organisations the member alert was addressed to."""
        if delivery.kind is not DeliveryKind.MEMBER_ALERT or not delivery.organisation_id:
            return
        if delivery.incident_id is None:
            return
        await store.add_addressed(
            session, str(delivery.incident_id), delivery.organisation_id, delivery.occurred_at
        )

    async def on_ack(self, work: UnitOfWork, ack: AckEvent) -> None:
        """A stand-down closes the roll-call."""
        if ack.state is not AckState.STOOD_DOWN:
            return
        now = self.clock()
        incident_id = str(ack.incident_id)
        session = work.session
        if await store.close(session, incident_id, RollCallStatus.STOOD_DOWN, now):
            held = await store.rollcall(session, incident_id)
            assert held is not None
            step = _step(
                held, StepAction.CLOSED_STOOD_DOWN, StepVia(ack.via.value), now, ack.officer_id
            )
            await _audited(session, step)
            ratio = await _answer_ratio(session, incident_id)
            work.after_commit(lambda: _observe_answer_ratio(ratio))

    # --- answers -------------------------------------------------------------------------
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
        """Keep an answer and publish it, in one transaction; refuse once the roll-call closed."""
        now = self.clock()
        message = RollCallAnswer(
            incident_id=uuid.UUID(incident_id),
            organisation_id=organisation_id,
            contact_id=contact_id,
            via=via,
            recorded_by=officer_id,
            occurred_at=now,
            **asdict(form),  # what was said, field for field
        )
        async with self.transaction() as session:
            held = await _open(session, incident_id)
            first = await store.record_answer(session, message)
            phone = via is AnswerVia.PHONE
            step = _step(
                held,
                StepAction.PHONE_ANSWER_RECORDED if phone else StepAction.ANSWER_RECORDED,
                StepVia.CONSOLE if phone else StepVia.LINK,
                now,
                officer_id,
            ).model_copy(update={"organisation_id": organisation_id, "answer": form.answer})
            await enqueue(session, message, key=incident_id)
            await _audited(session, step)
        metrics.ROLLCALL_ANSWERS.labels(form.answer.value, via.value).inc()
        if first:
            metrics.TIME_TO_FIRST_ANSWER.observe(_seconds_since(held.activated_at, now))
        log.info(
            "rollcall_answer_recorded",
            incident_id=incident_id,
            organisation=organisation_id,
            answer=form.answer.value,
            via=via.value,
        )
        return message

    # --- reminders -----------------------------------------------------------------------
    async def send_due_reminders(self) -> int:
        """Send the one reminder of every roll-call whose time came; return how many went out."""
        now = self.clock()
        async with self.transaction() as session:
            due = await store.due_reminders(session, now)
        sent = 0
        for incident_id in due:
            async with self.transaction() as session:
                if not await store.claim_reminder(session, incident_id, now):
                    continue
                held = await store.rollcall(session, incident_id)
                assert held is not None
                silent = not_answered(
                    await store.addressed(session, incident_id),
                    await store.answers(session, incident_id),
                )
                step = _step(held, StepAction.REMINDER_SENT, StepVia.TIMER, now)
                await _audited(session, step.model_copy(update={"organisations": silent}))
                if silent:
                    await enqueue(
                        session, self._notice(held, NoticeKind.REMINDER, silent), key=incident_id
                    )
            if silent:
                sent += 1
                metrics.ROLLCALL_REMINDERS.inc()
            log.info("rollcall_reminder", incident_id=incident_id, organisations=len(silent))
        return sent

    # --- decisions -----------------------------------------------------------------------
    async def decide_survey(
        self, incident_id: str, choices: Mapping[str, int], officer_id: str
    ) -> list[SurveyAssignment]:
        """Send one to three organisations on the initial survey with a budget cap each."""
        now = self.clock()
        async with self.transaction() as session:
            held = await _open(session, incident_id)
            if held.survey_decided_at is not None:
                raise DecisionError("the initial survey was decided already")
            latest = latest_answers(await store.answers(session, incident_id))
            assignments = check_survey(choices, latest, cap_jpy=self.settings.survey_budget_jpy)
            held.survey = [a.model_dump(mode="json") for a in assignments]
            held.survey_decided_at = now
            report_by = now + timedelta(days=self.settings.survey_report_days)
            chosen = [a.organisation_id for a in assignments]
            others = [o for o in await store.addressed(session, incident_id) if o not in chosen]
            step = _step(held, StepAction.SURVEY_DECIDED, StepVia.CONSOLE, now, officer_id)
            await _audited(
                session,
                step.model_copy(update={"organisations": chosen}),
                {"survey": held.survey, "report_by": report_by.isoformat()},
            )
            decision = self._notice(
                held, NoticeKind.SURVEY_DECISION, chosen, officer_id=officer_id
            ).model_copy(update={"survey": assignments, "report_by": report_by})
            notice = self._notice(
                held, NoticeKind.SURVEY_NOTICE, others, officer_id=officer_id
            ).model_copy(update={"survey": assignments, "report_by": report_by})
            await enqueue(session, decision, *([notice] if others else []), key=incident_id)
        metrics.TIME_TO_SURVEY_DECISION.observe(_seconds_since(held.activated_at, now))
        log.info("survey_decided", incident_id=incident_id, organisations=chosen)
        return assignments

    async def launch(self, incident_id: str, programme: Programme, officer_id: str) -> None:
        """Launch the programme: close the roll-call and tell every addressed member."""
        now = self.clock()
        async with self.transaction() as session:
            held = await _open(session, incident_id)
            known = {o.id for o in self.directory.current().organisations}
            unknown = [p for p in programme.participants if p not in known]
            if unknown:
                raise DecisionError(f"unknown organisation(s): {', '.join(unknown)}")
            held.programme = programme.model_dump(mode="json")
            await store.close(session, incident_id, RollCallStatus.LAUNCHED, now)
            addressed = await store.addressed(session, incident_id)
            everyone = list(dict.fromkeys([*addressed, *programme.participants]))
            step = _step(held, StepAction.PROGRAMME_LAUNCHED, StepVia.CONSOLE, now, officer_id)
            await _audited(
                session,
                step.model_copy(
                    update={"organisations": programme.participants, "programme": programme}
                ),
                held.programme,
            )
            launch = self._notice(
                held, NoticeKind.PROGRAMME_LAUNCH, everyone, officer_id=officer_id
            ).model_copy(update={"programme": programme})
            await enqueue(session, launch, key=incident_id)
            ratio = await _answer_ratio(session, incident_id)
        _observe_answer_ratio(ratio)
        log.info("programme_launched", incident_id=incident_id, name=programme.name_en)

    def _notice(
        self,
        held: RollCall,
        kind: NoticeKind,
        organisations: Sequence[str],
        *,
        officer_id: str | None = None,
    ) -> CoordinationNotice:
        return CoordinationNotice(
            notice_id=notice_id(held.incident_id, kind),
            kind=kind,
            incident_id=uuid.UUID(held.incident_id),
            activation_id=uuid.UUID(held.activation_id),
            summary=store.summary_of(held),
            organisations=list(organisations),
            officer_id=officer_id,
        )


def _step(
    held: RollCall,
    action: StepAction,
    via: StepVia,
    at: datetime,
    officer_id: str | None = None,
) -> RollCallStep:
    return RollCallStep(
        incident_id=uuid.UUID(held.incident_id),
        activation_id=uuid.UUID(held.activation_id),
        action=action,
        via=via,
        officer_id=officer_id,
        occurred_at=at,
    )


async def _audited(
    session: AsyncSession, step: RollCallStep, detail: dict[str, Any] | None = None
) -> None:
    """Keep a step in the roll-call's audit trail and publish it on `rollcall.v1`, together:
    a step is on every timeline exactly when it is audited."""
    if detail is None:
        detail = step.model_dump(
            mode="json",
            include={"organisation_id", "answer", "organisations"},
            exclude_defaults=True,
        )
    await store.audit(
        session,
        str(step.incident_id),
        step.action.value,
        at=step.occurred_at,
        via=step.via.value,
        officer_id=step.officer_id,
        detail=detail,
    )
    await enqueue(session, step, key=str(step.incident_id))


async def _open(session: AsyncSession, incident_id: str) -> RollCall:
    held = await store.rollcall(session, incident_id)
    if held is None:
        raise RollCallClosedError("no roll-call for this incident")
    if held.status != RollCallStatus.OPEN.value:
        raise RollCallClosedError(f"the roll-call is closed ({held.status})")
    return held


def _seconds_since(activated_at: datetime, now: datetime) -> float:
    # Triage's clock may run a little ahead of this one: never a negative duration.
    return max(0.0, (now - activated_at).total_seconds())


async def _answer_ratio(session: AsyncSession, incident_id: str) -> float | None:
    """The share of the addressed organisations that answered (None: nobody was addressed)."""
    addressed = set(await store.addressed(session, incident_id))
    if not addressed:
        return None
    answered = {a.organisation_id for a in await store.answers(session, incident_id)}
    return len(answered & addressed) / len(addressed)


def _observe_answer_ratio(ratio: float | None) -> None:
    """Count a closed roll-call's answer rate (called once its closing committed)."""
    if ratio is not None:
        metrics.ROLLCALL_ANSWER_RATIO.observe(ratio)


async def refresh_gauges(transaction: Transaction) -> None:
    """Count the organisations addressed by, and answering, the open roll-calls."""
    async with transaction() as session:
        addressed, answered = await store.open_counts(session)
    metrics.ROLLCALL_OPEN_ADDRESSED.set(addressed)
    metrics.ROLLCALL_OPEN_ANSWERED.set(answered)
