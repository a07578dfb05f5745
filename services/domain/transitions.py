"""A state machine as a table: from each state, the moves it allows and where each leads.

Duty's activation states and the response's lifecycle are both such tables; a move the table
does not list is refused with the machine's own error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

S = TypeVar("S")
M = TypeVar("M")


class RefusedError(Exception, Generic[S, M]):
    """A move the table does not list from the state the machine is in.

    Each machine's error derives from this and from its own base, and words the refusal in
    `sentence`, which names `{move}` (as `move_words` spells it) and `{state}`.
    """

    sentence = "cannot {move} from {state}"

    def __init__(self, state: S, move: M) -> None:
        super().__init__(self.sentence.format(move=self.move_words(move), state=state))
        self.state = state
        self.move = move

    @staticmethod
    def move_words(move: M) -> str:
        return str(move)


class Transitions(Generic[S, M]):
    def __init__(
        self, table: Mapping[S, Mapping[M, S]], refused: Callable[[S, M], Exception]
    ) -> None:
        self.table = table
        self.refused = refused

    def next_state(self, current: S, move: M) -> S:
        """Return the state a move leads to; raise the machine's error when it is not allowed."""
        try:
            return self.table[current][move]
        except KeyError as err:
            raise self.refused(current, move) from err

    def allowed(self, current: S) -> list[M]:
        """List the moves a state allows, in the table's order."""
        return list(self.table[current])
