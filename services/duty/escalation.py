"""One activation's escalation as a pure aggregate: state, step, frozen chain and live timer.

`record`, `act`, `fire` and `supersede` change the aggregate and return what the change
produced (`Effects`: pages and transition events to publish, audit records and timer changes
to store, facts to count). Nothing here reads a clock, a database or a metric: the repository
(`repository.EscalationRepository`) loads an `Escalation`, calls it, and saves what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from schemas.acks import AckEvent, AckVia
from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.base import Message
from schemas.pages import Page, PageTarget
from services.common.logs import get_logger
from services.duty.rota import PlannedStep, Rota
from services.duty.states import (
    BY_TRIAGE,
    ON_THE_BOARD,
    Action,
    DutyState,
    TransitionError,
    next_state,
)
from services.duty.tokens import LinkSigner

log = get_logger(__name__)

# Only a stand-down sends members duty's notice (a message on any other is not kept): the
# programme's launch and close are told by the roll-call's notices, which follow the answers.
TELLS_MEMBERS = (Action.STAND_DOWN,)
_LAUNCHED_OR_AFTER = frozenset({DutyState.LAUNCHED, DutyState.CLOSED})


class ChainExhaustedError(TransitionError):
    """Escalate was asked for but every step of the chain has been paged."""


class OnTheBoardError(TransitionError):
    """Launch and close are the programme's, taken on the roll-call board (one launch)."""

    def __init__(self, state: DutyState, action: Action) -> None:
        super().__init__(state, action)
        self.args = (f"{action.value} the programme on the roll-call board",)


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
        return self.signer.expires_at(now)

    def console_url(self, activation_id: UUID) -> str:
        return f"{self.base}/activations/{activation_id}"


@dataclass(frozen=True)
class Timer:
    """A pending escalation timer: when it is due, it pages `step`."""

    id: str
    step: int
    due_at: datetime


@dataclass(frozen=True)
class Transition:
    """One audit record: a state change, by whom, how and why."""

    state: DutyState
    step: int
    officer_id: str | None
    via: str
    note: str | None
    member_message: str | None
    at: datetime


@dataclass
class Effects:
    """What one change of an escalation produced."""

    state: DutyState | None = None
    messages: list[Message] = field(default_factory=list)  # pages first, then the event
    transitions: list[Transition] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    timer_started: Timer | None = None
    timer_cancelled: str | None = None
    # Facts to count once stored.
    counted: tuple[DutyState, AckVia] | None = None
    paged_step: int | None = None
    waited_s: float | None = None

    @property
    def changed(self) -> bool:
        return self.state is not None


@dataclass
class Escalation:
    """An activation as duty handles it."""

    activation_id: UUID
    incident_id: UUID
    level: Level
    summary: IncidentSummary
    score: float
    reasons: list[Reason]
    state: DutyState = DutyState.RECORDED
    step: int = 0
    chain: list[PlannedStep] = field(default_factory=list)
    timer_id: str | None = None
    paged_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    closed_at: datetime | None = None
    superseded_by: UUID | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, activation: Activation) -> Escalation:
        return cls(
            activation_id=activation.activation_id,
            incident_id=activation.incident_id,
            level=activation.level,
            summary=activation.summary,
            score=activation.score,
            reasons=list(activation.reasons),
        )

    def record(self, chain: list[PlannedStep], rota: Rota, links: Links, now: datetime) -> Effects:
        """Open the escalation: page step 0 at once for `standby` and `activate`; `watch` waits.

        `chain` is frozen here: editing the rota later does not change this escalation.
        """
        self.updated_at = now
        if self.level < Level.STANDBY:
            return Effects(
                state=DutyState.RECORDED,
                transitions=[
                    Transition(DutyState.RECORDED, self.step, None, "triage", "watch", None, now)
                ],
            )
        self.chain = list(chain)
        self.paged_at = now
        return self._page(0, rota, links, now, DutyState.PAGED, AckVia.TIMER, None, None)

    def act(
        self,
        action: Action,
        officer_id: str | None,
        via: AckVia,
        rota: Rota,
        links: Links,
        now: datetime,
        note: str | None = None,
        member_message: str | None = None,
        names: tuple[str, str] | None = None,
    ) -> Effects:
        """Apply an officer's action; raise TransitionError when the state does not allow it.

        `note` stays with the officers; only `member_message` is meant for members. Launch
        and close come only with the programme's `names`, from `follow_programme`.
        """
        if action in ON_THE_BOARD and names is None:
            raise OnTheBoardError(self.state, action)
        if action in BY_TRIAGE:
            raise TransitionError(self.state, action)
        target = next_state(self.state, action)
        if action is Action.ESCALATE:
            if self.step + 1 >= len(self.chain):
                raise ChainExhaustedError(self.state, action)
            cancelled = self._cancel_timer()
            effects = self._page(self.step + 1, rota, links, now, target, via, officer_id, note)
            effects.timer_cancelled = cancelled
            return effects
        effects = Effects(state=target, counted=(target, via))
        if action is Action.ACKNOWLEDGE:
            effects.timer_cancelled = self._cancel_timer()
            self.acknowledged_at, self.acknowledged_by = now, officer_id
            if self.paged_at is not None:
                effects.waited_s = (now - self.paged_at).total_seconds()
        if target in (DutyState.STOOD_DOWN, DutyState.CLOSED):
            self.closed_at = now
        self.state, self.updated_at = target, now
        kept = member_message if action in TELLS_MEMBERS else None
        self._transition(effects, target, officer_id, via, now, note, kept, names)
        return effects

    def follow_programme(
        self,
        action: Action,
        officer_id: str | None,
        names: tuple[str, str],
        rota: Rota,
        links: Links,
        now: datetime,
    ) -> Effects:
        """The roll-call launched or closed the programme: duty's state follows, once.

        An officer who launched a programme before acknowledging the page acknowledged it by
        doing so. `names` (ja, en) ride on the event for the CAP feed and triage.
        """
        if action not in ON_THE_BOARD:
            raise TransitionError(self.state, action)
        followed = {Action.LAUNCH: _LAUNCHED_OR_AFTER, Action.CLOSE: {DutyState.CLOSED}}
        if self.state in followed[action]:
            return Effects()  # already followed (a redelivered step)
        first = Effects()
        if action is Action.LAUNCH and self.state.awaiting_ack:
            first = self.act(Action.ACKNOWLEDGE, officer_id, AckVia.CONSOLE, rota, links, now)
        then = self.act(action, officer_id, AckVia.CONSOLE, rota, links, now, names=names)
        return _merged(first, then)

    def withdraw(self, why: str, now: datetime) -> Effects:
        """Its source withdrew every report: nobody is paged about it any more.

        Members are told by the notifier, from triage's own message; no acknowledgement
        event follows (nobody acted). A launched, closed or stood-down activation stays as
        the officer left it (TransitionError).
        """
        target = next_state(self.state, Action.WITHDRAW)
        effects = Effects(state=target, timer_cancelled=self._cancel_timer())
        self.state, self.updated_at, self.closed_at = target, now, now
        effects.transitions.append(Transition(target, self.step, None, "triage", why, None, now))
        return effects

    def is_escalated_by(self, timer_id: str) -> bool:
        """Say whether this timer may still escalate (not acknowledged, superseded or replaced)."""
        return self.timer_id == timer_id and self.superseded_by is None and self.state.awaiting_ack

    def fire(self, timer: Timer, rota: Rota, links: Links, now: datetime) -> Effects:
        """Escalate for a due timer; a stale timer changes nothing (check `is_escalated_by`)."""
        if not self.is_escalated_by(timer.id):
            return Effects()
        late = (now - timer.due_at).total_seconds()
        log.info("escalating", activation_id=str(self.activation_id), step=timer.step, late_s=late)
        return self._page(
            timer.step, rota, links, now, DutyState.ESCALATED, AckVia.TIMER, None, None
        )

    def supersede(self, by: UUID, now: datetime) -> Effects:
        """Close this escalation for an upgrade of the same incident: its timer stops."""
        effects = Effects(timer_cancelled=self._cancel_timer())
        self.superseded_by, self.updated_at = by, now
        return effects

    def _cancel_timer(self) -> str | None:
        cancelled, self.timer_id = self.timer_id, None
        return cancelled

    def _page(
        self,
        step: int,
        rota: Rota,
        links: Links,
        now: datetime,
        state: DutyState,
        via: AckVia,
        actor: str | None,
        note: str | None,
    ) -> Effects:
        planned = self.chain[step]
        following = self.chain[step + 1] if step + 1 < len(self.chain) else None
        escalates_at = now + timedelta(seconds=following.delay_s) if following else None
        decision = {
            "score": self.score,
            "reasons": self.reasons,
            "escalates_at": escalates_at,
            "next_names": [_name(rota, o) for o in following.officer_ids] if following else [],
            "link_expires_at": links.expires_at(now),
        }
        effects = Effects(state=state, counted=(state, via), paged_step=step)
        for officer_id in planned.officer_ids:
            # Who is paged is frozen in the chain; how to reach them is the rota's latest word.
            officer = rota.officer(officer_id)
            if officer is None:
                log.warning("paged_officer_left_rota", officer_id=officer_id, step=step)
                continue
            page = Page(
                page_id=uuid4(),
                activation_id=self.activation_id,
                incident_id=self.incident_id,
                level=self.level,
                step=step,
                target=PageTarget(
                    officer_id=officer.id,
                    name=officer.name,
                    language=officer.language.value,
                ),
                summary=self.summary,
                ack_url=links.ack_url(self.activation_id, officer.id, now),
                console_url=links.console_url(self.activation_id),
                **decision,
            )
            effects.pages.append(page)
            effects.messages.append(page)
        self.step, self.state, self.updated_at = step, state, now
        self.timer_id = None
        if following is not None and escalates_at is not None:
            effects.timer_started = Timer(str(uuid4()), step + 1, escalates_at)
            self.timer_id = effects.timer_started.id
        who = note or f"{planned.target.value}: {', '.join(planned.officer_ids)}"
        self._transition(effects, state, actor, via, now, who, None)
        return effects

    def _transition(
        self,
        effects: Effects,
        state: DutyState,
        officer_id: str | None,
        via: AckVia,
        now: datetime,
        note: str | None,
        member_message: str | None,
        names: tuple[str, str] | None = None,
    ) -> None:
        effects.transitions.append(
            Transition(state, self.step, officer_id, via.value, note, member_message, now)
        )
        effects.messages.append(
            AckEvent(
                occurred_at=now,
                activation_id=self.activation_id,
                incident_id=self.incident_id,
                level=self.level,
                state=state.as_ack_state(),
                step=self.step,
                officer_id=officer_id,
                via=via,
                note=note,
                member_message=member_message,
                summary=self.summary,
                programme_ja=names[0] if names else None,
                programme_en=names[1] if names else None,
            )
        )


def _merged(first: Effects, then: Effects) -> Effects:
    """Two changes taken together (an acknowledgement, then the launch it implied)."""
    if not first.changed:
        return then
    then.messages[:0] = first.messages
    then.transitions[:0] = first.transitions
    then.timer_cancelled = then.timer_cancelled or first.timer_cancelled
    then.waited_s = first.waited_s
    return then


def _name(rota: Rota, officer_id: str) -> str:
    officer = rota.officer(officer_id)
    return officer.name if officer else officer_id
