"""The board as officers read it, kept between reads: each read fetches only what was added.

At 500 organisations a full read (every answer and audited step through the ORM, the board
rebuilt) held the event loop ~170 ms on a busy machine, so a board polled while answers
arrived delayed the answers' own POSTs and the board fell seconds behind (decision 0732).
Now a read asks how much there is (one statement); when nothing was added it returns the
board it already built, under the same ETag; otherwise it fetches the answers and steps
numbered after the newest it holds, with their count in the same statement. Rows are only
ever added while a roll-call takes answers; when the count does not match (a PostgreSQL
transaction that took a lower number committed late, or retention deleted), it reads them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.members import MemberDirectory
from services.common.db import Transaction
from services.response import store
from services.response.models import RollCallRow
from services.response.rollcall import AnswerView, Board, StepView, build_board

N = TypeVar("N", AnswerView, StepView)

# How often a long poll looks again: an answer committed by another replica shows within this
# much (one committed here wakes it at once); each look is one transaction of two short reads.
CHECK_S = 0.05


@dataclass(frozen=True)
class BoardRead:
    """One read of a roll-call's board; `etag` changes whenever anything it shows does."""

    held: RollCallRow
    board: Board
    trail: list[StepView]
    etag: str


@dataclass(frozen=True)
class _Kept:
    answers: list[AnswerView]
    steps: list[StepView]
    addressed: list[str]
    read: BoardRead


class BoardReads:
    """The boards of the last few roll-calls read, each brought up to date on every read."""

    def __init__(self, transaction: Transaction, incidents: int = 8) -> None:
        self.transaction = transaction
        self.incidents = incidents
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        # A directory edited on disk is a new object: every board shows it from then on.
        self._directory: MemberDirectory | None = None
        self._generation = 0
        self._touched = asyncio.Event()

    def touched(self) -> None:
        """Wake the long polls at once: this process has just changed a roll-call."""
        self._touched.set()
        self._touched = asyncio.Event()

    async def changed(
        self,
        incident_id: str,
        directory: MemberDirectory,
        known: Callable[[str], bool],
        wait_s: float,
        gone: Callable[[], Awaitable[bool]],
    ) -> BoardRead | None:
        """The board once its ETag is not one the reader `known`s, or as it is after `wait_s`
        (or once the reader is `gone`): a long poll that costs the reader one request per change
        instead of one per refresh, and the database one small statement per check."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        read = await self.read(incident_id, directory)
        while read is not None and known(read.etag) and loop.time() < deadline:
            touched = self._touched
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(CHECK_S, max(0.0, deadline - loop.time()))):
                    await touched.wait()
            if await gone():
                break
            read = await self.read(incident_id, directory)
        return read

    async def read(self, incident_id: str, directory: MemberDirectory) -> BoardRead | None:
        """The board of the incident's roll-call as it stands now; None without a roll-call."""
        if directory is not self._directory:
            self._directory, self._generation = directory, self._generation + 1
        kept = self._kept.get(incident_id)
        async with self.transaction() as session:
            held = await store.rollcall(session, incident_id)
            if held is None:
                return None
            marks = await store.board_marks(session, incident_id)
            newer = partial(_newer, session, incident_id)
            answers = await newer(
                kept.answers if kept else [], (marks.answers, marks.answer_top), store.answers_after
            )
            steps = await newer(
                kept.steps if kept else [], (marks.steps, marks.step_top), store.steps_after
            )
            addressed = (
                kept.addressed
                if kept is not None and len(kept.addressed) == marks.addressed
                else await store.addressed(session, incident_id)
            )
        etag = _etag(held, answers, steps, addressed, self._generation)
        if kept is not None and kept.read.etag == etag:
            board = kept.read.board
        else:
            board = build_board(store.summary_of(held), addressed, answers, directory)
        read = BoardRead(held, board, steps, etag)
        # A new object each time, never changed in place: a read that ran alongside and
        # stores an older state leaves a consistent one, which the next read brings forward.
        self._kept[incident_id] = _Kept(answers, steps, addressed, read)
        self._kept.move_to_end(incident_id)
        while len(self._kept) > self.incidents:
            self._kept.popitem(last=False)
        return read


async def _newer(
    session: AsyncSession,
    incident_id: str,
    held: list[N],
    marks: tuple[int, int],
    after: Callable[[AsyncSession, str, int], Awaitable[tuple[list[N], int | None]]],
) -> list[N]:
    """`held` brought up to date: unchanged when the database counts as many and the same
    newest; with the newer rows when they and `held` are all there is; else read afresh."""
    top = _number(held[-1]) if held else 0
    if marks == (len(held), top):
        return held
    if held:
        newer, total = await after(session, incident_id, top)
        if newer and total == len(held) + len(newer):
            return held + newer
    every, _ = await after(session, incident_id, 0)
    return every


def _number(row: AnswerView | StepView) -> int:
    return row.seq if isinstance(row, AnswerView) else row.id


def _etag(
    held: RollCallRow,
    answers: Sequence[AnswerView],
    steps: Sequence[StepView],
    addressed: Sequence[str],
    generation: int,
) -> str:
    """Name this state of the board: the roll-call's row, how many answers, steps and
    organisations and the newest of each, and which directory names them."""
    row = [getattr(held, column.key) for column in RollCallRow.__table__.columns]
    state = (
        row,
        len(answers),
        _number(answers[-1]) if answers else 0,
        len(steps),
        _number(steps[-1]) if steps else 0,
        len(addressed),
        generation,
    )
    return '"' + hashlib.blake2b(repr(state).encode(), digest_size=12).hexdigest() + '"'
