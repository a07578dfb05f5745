"""The duty state of an activation: one status, explicit transitions, no overlapping booleans."""

from __future__ import annotations

from enum import StrEnum

from schemas.acks import AckState
from services.common.errors import StandbyError
from services.domain.transitions import RefusedError, Transitions


class DutyState(StrEnum):
    RECORDED = "recorded"  # a `watch` activation: kept for the console, nobody paged
    PAGED = "paged"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    LAUNCHED = "launched"
    STOOD_DOWN = "stood_down"
    CLOSED = "closed"  # the launched programme was closed
    WITHDRAWN = "withdrawn"  # its source withdrew every report (triage said so)

    @property
    def awaiting_ack(self) -> bool:
        return self in (DutyState.PAGED, DutyState.ESCALATED)

    @property
    def is_open(self) -> bool:
        return self not in (
            DutyState.STOOD_DOWN,
            DutyState.RECORDED,
            DutyState.CLOSED,
            DutyState.WITHDRAWN,
        )

    def as_ack_state(self) -> AckState:
        return AckState(self.value)


class Action(StrEnum):
    """What an officer (or the clock, for `escalate`) can do to an activation.

    `launch` and `close` are the programme's: taken once, on the roll-call board (the
    console's Launch leads there), and followed by duty from the roll-call's step.
    """

    ACKNOWLEDGE = "acknowledge"
    LAUNCH = "launch"
    STAND_DOWN = "stand_down"
    ESCALATE = "escalate"
    CLOSE = "close"
    WITHDRAW = "withdraw"  # triage's, never an officer's


#: Actions the roll-call board takes and duty follows; the console links to the board.
ON_THE_BOARD = frozenset({Action.LAUNCH, Action.CLOSE})
#: Actions only triage takes (its source withdrew the incident): the console offers none.
BY_TRIAGE = frozenset({Action.WITHDRAW})


_ALLOWED: dict[DutyState, dict[Action, DutyState]] = {
    DutyState.PAGED: {
        Action.ACKNOWLEDGE: DutyState.ACKNOWLEDGED,
        Action.ESCALATE: DutyState.ESCALATED,
        Action.WITHDRAW: DutyState.WITHDRAWN,
    },
    DutyState.ESCALATED: {
        Action.ACKNOWLEDGE: DutyState.ACKNOWLEDGED,
        Action.ESCALATE: DutyState.ESCALATED,
        Action.WITHDRAW: DutyState.WITHDRAWN,
    },
    DutyState.ACKNOWLEDGED: {
        Action.LAUNCH: DutyState.LAUNCHED,
        Action.STAND_DOWN: DutyState.STOOD_DOWN,
        Action.WITHDRAW: DutyState.WITHDRAWN,
    },
    # A running programme is not stood down: it is closed, as its own step.
    DutyState.LAUNCHED: {Action.CLOSE: DutyState.CLOSED},
    DutyState.STOOD_DOWN: {},
    DutyState.CLOSED: {},
    DutyState.RECORDED: {Action.WITHDRAW: DutyState.WITHDRAWN},
    DutyState.WITHDRAWN: {},
}


class TransitionError(RefusedError[DutyState, Action], StandbyError):
    """The action is not allowed in the activation's current state."""

    sentence = "cannot {move} an activation that is {state}"


_TRANSITIONS = Transitions(_ALLOWED, TransitionError)
#: The state an action leads to; TransitionError when the state does not allow it.
next_state = _TRANSITIONS.next_state


def allowed_actions(current: DutyState) -> list[Action]:
    """List the actions the console offers in a state (never one only triage takes)."""
    return [action for action in _TRANSITIONS.allowed(current) if action not in BY_TRIAGE]
