"""The duty state machine: paged → acknowledged → launched → closed | stood_down, plus
escalated(n)."""

from __future__ import annotations

import pytest

from services.duty.states import Action, DutyState, TransitionError, allowed_actions, next_state


def test_an_acknowledged_activation_can_be_launched_then_closed() -> None:
    state = next_state(DutyState.PAGED, Action.ACKNOWLEDGE)
    state = next_state(state, Action.LAUNCH)
    assert allowed_actions(state) == [Action.CLOSE]  # no stand-down once a programme runs
    assert next_state(state, Action.CLOSE) is DutyState.CLOSED
    assert allowed_actions(DutyState.CLOSED) == [] and not DutyState.CLOSED.is_open


def test_an_acknowledged_activation_can_be_stood_down_before_any_programme() -> None:
    state = next_state(DutyState.PAGED, Action.ACKNOWLEDGE)
    assert next_state(state, Action.STAND_DOWN) is DutyState.STOOD_DOWN


def test_escalation_is_possible_until_someone_acknowledges() -> None:
    assert next_state(DutyState.PAGED, Action.ESCALATE) is DutyState.ESCALATED
    assert next_state(DutyState.ESCALATED, Action.ESCALATE) is DutyState.ESCALATED
    assert Action.ESCALATE not in allowed_actions(DutyState.ACKNOWLEDGED)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (DutyState.PAGED, Action.LAUNCH),
        (DutyState.ESCALATED, Action.STAND_DOWN),
        (DutyState.ACKNOWLEDGED, Action.ACKNOWLEDGE),
        (DutyState.STOOD_DOWN, Action.LAUNCH),
        (DutyState.LAUNCHED, Action.STAND_DOWN),
        (DutyState.ACKNOWLEDGED, Action.CLOSE),
        (DutyState.CLOSED, Action.STAND_DOWN),
        (DutyState.RECORDED, Action.ACKNOWLEDGE),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused(state: DutyState, action: Action) -> None:
    with pytest.raises(TransitionError, match=f"cannot {action.value}"):
        next_state(state, action)


def test_a_watch_only_activation_offers_no_action() -> None:
    assert allowed_actions(DutyState.RECORDED) == []
    assert not DutyState.RECORDED.is_open
