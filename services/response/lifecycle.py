"""The response state of an incident: one status, explicit transitions (a table, as
`duty/states.py` is: services/domain/transitions.py).

The roll-call opens with the member alert, the officers decide the initial survey, launch the
programme and later close it; a stand-down ends a response that never launched. Once a
programme runs, standing down is not a transition any more: closing the programme is.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from services.common.errors import StandbyError
from services.domain.transitions import RefusedError, Transitions


class ResponseState(StrEnum):
    OPEN = "open"
    SURVEY_DECIDED = "survey_decided"
    LAUNCHED = "launched"
    CLOSED = "closed"
    STOOD_DOWN = "stood_down"

    @property
    def takes_answers(self) -> bool:
        """A launched programme still takes answers: an organisation not listed may join."""
        return self in _TAKES_ANSWERS

    @property
    def is_open(self) -> bool:
        """Before the programme: the roll-call's reminder and gauges count it."""
        return self in (ResponseState.OPEN, ResponseState.SURVEY_DECIDED)


_TAKES_ANSWERS = frozenset(
    {ResponseState.OPEN, ResponseState.SURVEY_DECIDED, ResponseState.LAUNCHED}
)


class Move(StrEnum):
    """What a member, an officer or the reminder clock can do to an incident's response."""

    ANSWER = "answer"
    REMIND = "remind"
    DECIDE_SURVEY = "decide_survey"
    LAUNCH = "launch"
    CLOSE = "close"
    STAND_DOWN = "stand_down"


_ALLOWED: dict[ResponseState, dict[Move, ResponseState]] = {
    ResponseState.OPEN: {
        Move.ANSWER: ResponseState.OPEN,
        Move.REMIND: ResponseState.OPEN,
        Move.DECIDE_SURVEY: ResponseState.SURVEY_DECIDED,
        Move.LAUNCH: ResponseState.LAUNCHED,
        Move.STAND_DOWN: ResponseState.STOOD_DOWN,
    },
    ResponseState.SURVEY_DECIDED: {
        Move.ANSWER: ResponseState.SURVEY_DECIDED,
        Move.REMIND: ResponseState.SURVEY_DECIDED,
        Move.LAUNCH: ResponseState.LAUNCHED,
        Move.STAND_DOWN: ResponseState.STOOD_DOWN,
    },
    ResponseState.LAUNCHED: {
        Move.ANSWER: ResponseState.LAUNCHED,
        Move.CLOSE: ResponseState.CLOSED,
    },
    ResponseState.CLOSED: {},
    ResponseState.STOOD_DOWN: {},
}


class DecisionError(StandbyError):
    """An officer's decision (or a member's answer) cannot be taken as asked; the message
    says why. `word` names the pages' sentence for it (services/response/words.py), which the
    page fills with `organisations` (by their names in the reader's language) and `cap_jpy`."""

    def __init__(
        self,
        message: str,
        *,
        word: str | None = None,
        organisations: Sequence[str] = (),
        cap_jpy: int | None = None,
    ) -> None:
        super().__init__(message)
        self.word = word
        self.organisations = tuple(organisations)
        self.cap_jpy = cap_jpy


class LifecycleError(RefusedError[ResponseState, Move], DecisionError):
    """The move is not allowed in the response's current state."""

    sentence = "cannot {move}: the response is {state}"

    @staticmethod
    def move_words(move: Move) -> str:
        return move.value.replace("_", " ")


_TRANSITIONS = Transitions(_ALLOWED, LifecycleError)
#: The state a move leads to; LifecycleError when the state does not allow it.
next_state = _TRANSITIONS.next_state
#: The moves a state allows (the board offers the officers' ones).
allowed_moves = _TRANSITIONS.allowed
