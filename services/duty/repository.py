"""The duty's repository: load an escalation from its rows, apply a change, save what it produced.

The rules live in `escalation.Escalation`; every method here runs inside the caller's
transaction and returns the messages to put in the outbox and the metrics to count once the
transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckVia
from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.base import Message
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.duty import metrics
from services.duty.escalation import ChainExhaustedError, Effects, Escalation, Links, Timer
from services.duty.models import DutyActivation, DutyPage, DutyTimer, DutyTransition
from services.duty.rota import PlannedStep, Rota
from services.duty.states import Action, DutyState, TransitionError

__all__ = [
    "ActivationNotFoundError",
    "ChainExhaustedError",
    "EscalationRepository",
    "Links",
    "StateChange",
]

log = get_logger(__name__)


class ActivationNotFoundError(StandbyError):
    """No activation with this id is known to duty."""


@dataclass
class StateChange:
    """What a state change produced: messages for the outbox, metrics to count after commit."""

    messages: list[Message] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    state: DutyState | None = None
    key: str | None = None  # the incident id: keeps an incident's messages in order

    def committed(self) -> None:
        for observe in self.after_commit:
            observe()


class EscalationRepository:
    """The duty's write side: open, page, escalate and transition activations."""

    def __init__(self, rota: Callable[[], Rota], links: Links) -> None:
        self.rota = rota
        self.links = links

    async def record_activation(
        self, session: AsyncSession, activation: Activation, now: datetime
    ) -> StateChange:
        """Store an activation; page step 0 at once when it is `standby` or `activate`."""
        if await session.get(DutyActivation, str(activation.activation_id)) is not None:
            return StateChange()
        escalation = Escalation.of(activation)
        row = DutyActivation(
            activation_id=str(activation.activation_id),
            incident_id=str(activation.incident_id),
            level=activation.level.value,
            previous_level=activation.previous_level.value,
            score=activation.score,
            title=activation.summary.title,
            summary=activation.summary.model_dump(mode="json"),
            reasons=[r.model_dump(mode="json") for r in activation.reasons],
            state=DutyState.RECORDED.value,
            step=0,
            chain=[],
            occurred_at=activation.occurred_at,
            received_at=now,
            updated_at=now,
        )
        session.add(row)
        if activation.level >= Level.STANDBY:
            await self._supersede_older(session, escalation, now)
        rota = self.rota()
        effects = escalation.record(rota.chain_at(now), rota, self.links, now)
        if escalation.state is DutyState.RECORDED:
            self._save(session, row, escalation, effects)
            return StateChange(state=DutyState.RECORDED)
        return await self._saved(session, row, escalation, effects)

    async def withdraw(
        self, session: AsyncSession, activation: Activation, now: datetime
    ) -> StateChange:
        """Triage's word that the incident's source withdrew it: its escalation ends, timers stop.

        The activation now carrying the incident is withdrawn (those an upgrade superseded are
        closed already); one an officer launched or stood down stays as they left it.
        """
        carrying = await session.execute(
            select(DutyActivation)
            .where(
                DutyActivation.incident_id == str(activation.incident_id),
                DutyActivation.superseded_by.is_(None),
            )
            .with_for_update()
        )
        why = "; ".join(r.sentence for r in activation.reasons)
        change = StateChange(key=str(activation.incident_id))
        for row in carrying.scalars():
            escalation = _load(row)
            try:
                effects = escalation.withdraw(why, now)
            except TransitionError:
                log.info("withdrawal_left_as_is", activation_id=row.activation_id, state=row.state)
                continue
            change = await self._saved(session, row, escalation, effects)
        return change

    async def act(
        self,
        session: AsyncSession,
        activation_id: UUID,
        action: Action,
        officer_id: str | None,
        via: AckVia,
        now: datetime,
        note: str | None = None,
        member_message: str | None = None,
    ) -> StateChange:
        """Apply an officer's action; raise TransitionError when the state does not allow it.

        `note` stays with the officers; only `member_message` is meant for members.
        """
        row = await session.get(DutyActivation, str(activation_id), with_for_update=True)
        if row is None:
            raise ActivationNotFoundError(f"no activation {activation_id}")
        escalation = _load(row)
        effects = escalation.act(
            action, officer_id, via, self.rota(), self.links, now, note, member_message
        )
        return await self._saved(session, row, escalation, effects)

    async def follow_programme(
        self,
        session: AsyncSession,
        activation_id: UUID,
        action: Action,
        officer_id: str | None,
        names: tuple[str, str],
        now: datetime,
    ) -> StateChange:
        """The roll-call launched or closed the incident's programme: follow it on the
        activation now carrying the incident (an upgrade may have superseded the step's)."""
        row = await session.get(DutyActivation, str(activation_id), with_for_update=True)
        while row is not None and row.superseded_by:
            row = await session.get(DutyActivation, row.superseded_by, with_for_update=True)
        if row is None:
            log.warning("programme_for_unknown_activation", activation_id=str(activation_id))
            return StateChange()
        escalation = _load(row)
        try:
            effects = escalation.follow_programme(
                action, officer_id, names, self.rota(), self.links, now
            )
        except TransitionError as err:
            # The roll-call's word stands (it is recorded there); duty only could not follow.
            log.warning("programme_not_followed", activation_id=row.activation_id, error=str(err))
            return StateChange()
        return await self._saved(session, row, escalation, effects)

    async def due_timers(self, session: AsyncSession, now: datetime) -> list[str]:
        """List the ids of pending timers whose time has come, oldest first."""
        rows = await session.execute(
            select(DutyTimer.id)
            .where(DutyTimer.status == "pending", DutyTimer.due_at <= now)
            .order_by(DutyTimer.due_at)
            .limit(100)
        )
        return list(rows.scalars())

    async def next_due(self, session: AsyncSession) -> datetime | None:
        """Return when the earliest pending timer is due."""
        rows = await session.execute(
            select(DutyTimer.due_at)
            .where(DutyTimer.status == "pending")
            .order_by(DutyTimer.due_at)
            .limit(1)
        )
        return rows.scalar_one_or_none()

    async def fire_timer(self, session: AsyncSession, timer_id: str, now: datetime) -> StateChange:
        """Escalate for a due timer, unless it is stale (acknowledged, superseded or replaced)."""
        # A replica firing the same timer holds its row: skip it rather than wait and find
        # it fired (PostgreSQL; SQLite has one process).
        timer = await session.get(DutyTimer, timer_id, with_for_update={"skip_locked": True})
        if timer is None or timer.status != "pending":
            return StateChange()
        row = await session.get(DutyActivation, timer.activation_id, with_for_update=True)
        escalation = _load(row) if row is not None else None
        if row is None or escalation is None or not escalation.is_escalated_by(timer.id):
            timer.status, timer.settled_at = "stale", now
            log.info("stale_timer_ignored", timer_id=timer_id, activation_id=timer.activation_id)
            return StateChange()
        timer.status, timer.settled_at = "fired", now
        effects = escalation.fire(
            Timer(timer.id, timer.step, timer.due_at), self.rota(), self.links, now
        )
        return await self._saved(session, row, escalation, effects)

    async def _supersede_older(
        self, session: AsyncSession, escalation: Escalation, now: datetime
    ) -> None:
        """Close the incident's older, still-open activations: the upgrade now carries it."""
        older = await session.execute(
            select(DutyActivation).where(
                DutyActivation.incident_id == str(escalation.incident_id),
                DutyActivation.activation_id != str(escalation.activation_id),
                DutyActivation.superseded_by.is_(None),
                DutyActivation.closed_at.is_(None),
            )
        )
        for previous in older.scalars():
            loaded = _load(previous)
            effects = loaded.supersede(escalation.activation_id, now)
            await _cancel_timer(session, effects.timer_cancelled, now)
            _copy(loaded, previous)

    async def _saved(
        self, session: AsyncSession, row: DutyActivation, escalation: Escalation, effects: Effects
    ) -> StateChange:
        """Store a change and turn it into the caller's outcome."""
        await _cancel_timer(session, effects.timer_cancelled, now=escalation.updated_at)
        self._save(session, row, escalation, effects)
        return _outcome(escalation, effects)

    @staticmethod
    def _save(
        session: AsyncSession, row: DutyActivation, escalation: Escalation, effects: Effects
    ) -> None:
        _copy(escalation, row)
        for page in effects.pages:
            session.add(
                DutyPage(
                    page_id=str(page.page_id),
                    activation_id=row.activation_id,
                    step=page.step,
                    officer_id=page.target.officer_id,
                    at=escalation.updated_at,
                )
            )
        if effects.timer_started is not None:
            timer = effects.timer_started
            session.add(
                DutyTimer(
                    id=timer.id,
                    activation_id=row.activation_id,
                    step=timer.step,
                    due_at=timer.due_at,
                    status="pending",
                )
            )
        # The audit record is stored as it is, one column a field.
        session.add_all(
            DutyTransition(activation_id=row.activation_id, **{**asdict(t), "state": t.state.value})
            for t in effects.transitions
        )


async def _cancel_timer(session: AsyncSession, timer_id: str | None, now: datetime | None) -> None:
    if timer_id is not None:
        await session.execute(
            update(DutyTimer)
            .where(DutyTimer.id == timer_id, DutyTimer.status == "pending")
            .values(status="cancelled", settled_at=now)
        )


def _load(row: DutyActivation) -> Escalation:
    return Escalation(
        activation_id=UUID(row.activation_id),
        incident_id=UUID(row.incident_id),
        level=Level(row.level),
        summary=IncidentSummary.model_validate(row.summary),
        score=row.score,
        reasons=[Reason.model_validate(r) for r in row.reasons],
        state=DutyState(row.state),
        step=row.step,
        chain=[PlannedStep.model_validate(p) for p in row.chain],
        timer_id=row.timer_id,
        paged_at=row.paged_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        closed_at=row.closed_at,
        superseded_by=UUID(row.superseded_by) if row.superseded_by else None,
        updated_at=row.updated_at,
    )


def _copy(escalation: Escalation, row: DutyActivation) -> None:
    """Write the aggregate's changeable fields back to its row."""
    row.state, row.step = escalation.state.value, escalation.step
    row.chain = [p.model_dump(mode="json") for p in escalation.chain]
    row.timer_id = escalation.timer_id
    row.paged_at = escalation.paged_at
    row.acknowledged_at, row.acknowledged_by = (
        escalation.acknowledged_at,
        escalation.acknowledged_by,
    )
    row.closed_at = escalation.closed_at
    row.superseded_by = str(escalation.superseded_by) if escalation.superseded_by else None
    if escalation.updated_at is not None:
        row.updated_at = escalation.updated_at


def _outcome(escalation: Escalation, effects: Effects) -> StateChange:
    """The messages to publish and the metrics to count once the change is committed."""
    outcome = StateChange(
        messages=list(effects.messages), state=effects.state, key=str(escalation.incident_id)
    )
    observe = outcome.after_commit
    level = escalation.level.value
    if effects.paged_step is not None:
        step, pages = effects.paged_step, len(effects.pages)
        observe.append(lambda: metrics.PAGES_SENT.labels(level).inc(pages))
        if step > 0:
            observe.append(lambda: metrics.ESCALATIONS.labels(str(step)).inc())
    if effects.waited_s is not None:
        waited = effects.waited_s
        observe.append(lambda: metrics.TIME_TO_ACK.observe(waited))
    if effects.counted is not None:
        state, via = effects.counted
        observe.append(lambda: metrics.ACK_TRANSITIONS.labels(state.value, via.value).inc())
    return outcome
