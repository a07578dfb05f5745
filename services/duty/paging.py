"""Paging and escalation: the duty's state changes, each written with its audit record and messages.

Every function here runs inside the caller's transaction and returns the messages to put in
the outbox and the metrics to count once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckEvent, AckVia
from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.base import Message
from schemas.pages import Page, PageTarget
from services.common import metrics
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.duty.models import DutyActivation, DutyPage, DutyTimer, DutyTransition
from services.duty.rota import PlannedStep, Rota
from services.duty.states import Action, DutyState, TransitionError, next_state
from services.duty.tokens import LinkSigner

log = get_logger(__name__)


class ActivationNotFoundError(StandbyError):
    """No activation with this id is known to duty."""


class ChainExhaustedError(TransitionError):
    """Escalate was asked for but every step of the chain has been paged."""


@dataclass
class Outcome:
    """What a state change produced: messages for the outbox, metrics to count after commit."""

    messages: list[Message] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    state: DutyState | None = None
    key: str | None = None  # the incident id: keeps an incident's messages in order

    def committed(self) -> None:
        for observe in self.after_commit:
            observe()


class Links:
    """Absolute URLs that pages carry: the signed confirm link and the console page."""

    def __init__(self, public_url: str, signer: LinkSigner) -> None:
        self.base = public_url.rstrip("/")
        self.signer = signer

    def ack_url(self, activation_id: UUID, officer_id: str, now: datetime) -> str:
        token = self.signer.issue(activation_id, officer_id, Action.ACKNOWLEDGE, now)
        return f"{self.base}/a/{token}"

    def expires_at(self, now: datetime) -> datetime:
        """When a link issued now stops working (tokens carry whole seconds)."""
        return datetime.fromtimestamp(int((now + self.signer.ttl).timestamp()), now.tzinfo)

    def console_url(self, activation_id: UUID) -> str:
        return f"{self.base}/activations/{activation_id}"


class Duty:
    """The duty's write side: open, page, escalate and transition activations."""

    def __init__(self, rota: Callable[[], Rota], links: Links) -> None:
        self.rota = rota
        self.links = links

    async def record_activation(
        self, session: AsyncSession, activation: Activation, now: datetime
    ) -> Outcome:
        """Store an activation; page step 0 at once when it is `standby` or `activate`."""
        if await session.get(DutyActivation, str(activation.activation_id)) is not None:
            return Outcome()
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
        outcome = Outcome(state=DutyState.RECORDED)
        if activation.level < Level.STANDBY:
            _write_transition(session, row, DutyState.RECORDED, None, "triage", now, "watch")
            return outcome
        await self._supersede_older(session, row, now)
        # The chain is frozen here: editing the rota later does not change this escalation.
        row.chain = [p.model_dump(mode="json") for p in self.rota().chain_at(now)]
        row.paged_at = now
        outcome = self._page_step(session, row, 0, now, DutyState.PAGED, AckVia.TIMER, None)
        return outcome

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
    ) -> Outcome:
        """Apply an officer's action; raise TransitionError when the state does not allow it.

        `note` stays with the officers; only `member_message` is meant for members.
        """
        row = await session.get(DutyActivation, str(activation_id), with_for_update=True)
        if row is None:
            raise ActivationNotFoundError(f"no activation {activation_id}")
        current = DutyState(row.state)
        target = next_state(current, action)
        if action is Action.ESCALATE:
            if row.step + 1 >= len(row.chain):
                raise ChainExhaustedError(current, action)
            await self._cancel_timer(session, row, now)
            return self._page_step(session, row, row.step + 1, now, target, via, officer_id, note)
        outcome = Outcome(state=target, key=row.incident_id)
        if action is Action.ACKNOWLEDGE:
            await self._cancel_timer(session, row, now)
            row.acknowledged_at, row.acknowledged_by = now, officer_id
            if row.paged_at is not None:
                waited = (now - row.paged_at).total_seconds()
                outcome.after_commit.append(lambda: metrics.TIME_TO_ACK.observe(waited))
        if target is DutyState.STOOD_DOWN:
            row.closed_at = now
        row.state, row.updated_at = target.value, now
        outcome.messages.append(
            _audit(
                session,
                row,
                target,
                officer_id,
                via,
                now,
                note=note,
                member_message=member_message if action in _TELLS_MEMBERS else None,
            )
        )
        outcome.after_commit.append(_count_transition(target, via))
        return outcome

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

    async def fire_timer(self, session: AsyncSession, timer_id: str, now: datetime) -> Outcome:
        """Escalate for a due timer, unless it is stale (acknowledged, superseded or replaced)."""
        # A replica firing the same timer holds its row: skip it rather than wait and find
        # it fired (PostgreSQL; SQLite has one process).
        timer = await session.get(DutyTimer, timer_id, with_for_update={"skip_locked": True})
        if timer is None or timer.status != "pending":
            return Outcome()
        row = await session.get(DutyActivation, timer.activation_id, with_for_update=True)
        if (
            row is None
            or row.timer_id != timer.id
            or row.superseded_by is not None
            or not DutyState(row.state).awaiting_ack
        ):
            timer.status, timer.settled_at = "stale", now
            log.info("stale_timer_ignored", timer_id=timer_id, activation_id=timer.activation_id)
            return Outcome()
        timer.status, timer.settled_at = "fired", now
        late = (now - timer.due_at).total_seconds()
        log.info("escalating", activation_id=row.activation_id, step=timer.step, late_s=late)
        return self._page_step(
            session, row, timer.step, now, DutyState.ESCALATED, AckVia.TIMER, None
        )

    def _page_step(
        self,
        session: AsyncSession,
        row: DutyActivation,
        step: int,
        now: datetime,
        state: DutyState,
        via: AckVia,
        actor: str | None,
        note: str | None = None,
    ) -> Outcome:
        planned = PlannedStep.model_validate(row.chain[step])
        summary = IncidentSummary.model_validate(row.summary)
        activation_id = UUID(row.activation_id)
        rota = self.rota()
        outcome = Outcome(state=state, key=row.incident_id)
        following = (
            PlannedStep.model_validate(row.chain[step + 1]) if step + 1 < len(row.chain) else None
        )
        decision = {
            "score": row.score,
            "reasons": [Reason.model_validate(r) for r in row.reasons],
            "escalates_at": now + timedelta(seconds=following.delay_s) if following else None,
            "next_names": [_name(rota, o) for o in following.officer_ids] if following else [],
            "link_expires_at": self.links.expires_at(now),
        }
        for officer_id in planned.officer_ids:
            # Who is paged is frozen in the chain; how to reach them is the rota's latest word.
            officer = rota.officer(officer_id)
            if officer is None:
                log.warning("paged_officer_left_rota", officer_id=officer_id, step=step)
                continue
            page = Page(
                page_id=uuid4(),
                activation_id=activation_id,
                incident_id=UUID(row.incident_id),
                level=Level(row.level),
                step=step,
                target=PageTarget(
                    officer_id=officer.id,
                    name=officer.name,
                    language=officer.language.value,
                    email=officer.email,
                    apprise_urls=[u.get_secret_value() for u in officer.apprise_urls],
                ),
                summary=summary,
                ack_url=self.links.ack_url(activation_id, officer.id, now),
                console_url=self.links.console_url(activation_id),
                **decision,
            )
            session.add(
                DutyPage(
                    page_id=str(page.page_id),
                    activation_id=row.activation_id,
                    step=step,
                    officer_id=officer.id,
                    at=now,
                )
            )
            outcome.messages.append(page)
        row.step, row.state, row.updated_at = step, state.value, now
        row.timer_id = None
        if following is not None:
            timer = DutyTimer(
                id=str(uuid4()),
                activation_id=row.activation_id,
                step=step + 1,
                due_at=now + timedelta(seconds=following.delay_s),
                status="pending",
            )
            session.add(timer)
            row.timer_id = timer.id
        who = note or f"{planned.target.value}: {', '.join(planned.officer_ids)}"
        outcome.messages.append(_audit(session, row, state, actor, via, now, note=who))
        level, pages = row.level, len(outcome.messages) - 1
        outcome.after_commit.append(lambda: metrics.PAGES_SENT.labels(level).inc(pages))
        if step > 0:
            outcome.after_commit.append(lambda: metrics.ESCALATIONS.labels(str(step)).inc())
        outcome.after_commit.append(_count_transition(state, via))
        return outcome

    async def _cancel_timer(
        self, session: AsyncSession, row: DutyActivation, now: datetime
    ) -> None:
        if row.timer_id is not None:
            await session.execute(
                update(DutyTimer)
                .where(DutyTimer.id == row.timer_id, DutyTimer.status == "pending")
                .values(status="cancelled", settled_at=now)
            )
            row.timer_id = None

    async def _supersede_older(
        self, session: AsyncSession, row: DutyActivation, now: datetime
    ) -> None:
        """Close the incident's older, still-open activations: the upgrade now carries it."""
        older = await session.execute(
            select(DutyActivation).where(
                DutyActivation.incident_id == row.incident_id,
                DutyActivation.activation_id != row.activation_id,
                DutyActivation.superseded_by.is_(None),
                DutyActivation.closed_at.is_(None),
            )
        )
        for previous in older.scalars():
            await self._cancel_timer(session, previous, now)
            previous.superseded_by, previous.updated_at = row.activation_id, now


# Only these actions send members a notice; a message on any other is not kept.
_TELLS_MEMBERS = (Action.LAUNCH, Action.STAND_DOWN)


def _name(rota: Rota, officer_id: str) -> str:
    officer = rota.officer(officer_id)
    return officer.name if officer else officer_id


def _write_transition(
    session: AsyncSession,
    row: DutyActivation,
    state: DutyState,
    officer_id: str | None,
    via: str,
    now: datetime,
    note: str | None,
    member_message: str | None = None,
) -> None:
    session.add(
        DutyTransition(
            activation_id=row.activation_id,
            state=state.value,
            step=row.step,
            officer_id=officer_id,
            via=via,
            note=note,
            member_message=member_message,
            at=now,
        )
    )


def _audit(
    session: AsyncSession,
    row: DutyActivation,
    state: DutyState,
    officer_id: str | None,
    via: AckVia,
    now: datetime,
    *,
    note: str | None = None,
    member_message: str | None = None,
) -> AckEvent:
    """Write the audit record of a transition and return its `acks.v1` event."""
    _write_transition(session, row, state, officer_id, via.value, now, note, member_message)
    return AckEvent(
        occurred_at=now,
        activation_id=UUID(row.activation_id),
        incident_id=UUID(row.incident_id),
        level=Level(row.level),
        state=state.as_ack_state(),
        step=row.step,
        officer_id=officer_id,
        via=via,
        note=note,
        member_message=member_message,
        summary=IncidentSummary.model_validate(row.summary),
    )


def _count_transition(state: DutyState, via: AckVia) -> Callable[[], None]:
    return lambda: metrics.ACK_TRANSITIONS.labels(state.value, via.value).inc()
