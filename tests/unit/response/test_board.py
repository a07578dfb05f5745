"""The board as officers read it: the observer is told, never asked, so never "silent"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.responses import AnswerKind
from services.response.rollcall import build_board
from tests.messages import red_quake_activation
from tests.unit.response.test_aggregate import DIRECTORY, said

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def test_the_silent_observer_is_not_among_those_who_have_not_answered() -> None:
    summary = red_quake_activation(NOW - timedelta(minutes=20)).summary
    addressed = ["hope-bridge", "asia-medical", "mofa-observer"]
    given = [said(None, "hope-bridge", AnswerKind.CAN_DEPLOY, 1)]  # type: ignore[arg-type]
    board = build_board(summary, addressed, given, DIRECTORY)
    assert [row.organisation_id for row in board.not_answered] == ["asia-medical"]
    assert {row.organisation_id: row.observer for row in board.rows} == {
        "hope-bridge": False,
        "asia-medical": False,
        "mofa-observer": True,
    }
