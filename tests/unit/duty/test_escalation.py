"""Escalation rules without a database: who is paged, when the next step is due, what stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Level
from schemas.pages import Page
from services.duty.escalation import (
    ChainExhaustedError,
    Effects,
    Escalation,
    Links,
    OnTheBoardError,
    Timer,
)
from services.duty.rota import Rota
from services.duty.states import Action, DutyState, TransitionError
from services.duty.tokens import LinkSigner
from tests.integration.duty.factories import NOW, activation, rota_dict

ROTA = Rota.model_validate(rota_dict())
LINKS = Links("https://duty.example.org/", LinkSigner("k" * 32, timedelta(hours=24)))


def opened(level: Level = Level.ACTIVATE) -> tuple[Escalation, Effects]:
    escalation = Escalation.of(activation(level))
    return escalation, escalation.record(ROTA.chain_at(NOW), ROTA, LINKS, NOW)


def act(
    escalation: Escalation, action: Action, officer: str | None = "aoki", **kw: object
) -> Effects:
    at = kw.pop("at", NOW)
    via = kw.pop("via", AckVia.CONSOLE)
    return escalation.act(action, officer, via, ROTA, LINKS, at, **kw)  # type: ignore[arg-type]


def fire(escalation: Escalation, timer: Timer, minutes: float) -> Effects:
    return escalation.fire(timer, ROTA, LINKS, NOW + timedelta(minutes=minutes))


def paged(effects: Effects) -> list[tuple[int, str]]:
    return [(p.step, p.target.officer_id) for p in effects.messages if isinstance(p, Page)]


def events(effects: Effects) -> list[AckEvent]:
    return [m for m in effects.messages if isinstance(m, AckEvent)]


def test_an_activate_level_pages_the_on_duty_officer_and_sets_the_backup_timer() -> None:
    escalation, effects = opened()
    assert escalation.state is DutyState.PAGED and escalation.paged_at == NOW
    assert paged(effects) == [(0, "aoki")]
    page = effects.pages[0]
    assert page.ack_url and page.ack_url.startswith("https://duty.example.org/a/")
    assert page.console_url == f"https://duty.example.org/activations/{escalation.activation_id}"
    assert page.escalates_at == NOW + timedelta(minutes=5) and page.next_names == ["Sato Ken"]
    assert [(e.state, e.step, e.summary) for e in events(effects)] == [
        (AckState.PAGED, 0, escalation.summary)
    ]
    assert effects.timer_started is not None
    assert (effects.timer_started.step, effects.timer_started.due_at) == (
        1,
        NOW + timedelta(minutes=5),
    )
    assert escalation.timer_id == effects.timer_started.id
    assert [s.officer_ids for s in escalation.chain] == [["aoki"], ["sato"], ["ito"]]
    # The page goes out first, then the event that says it was sent.
    assert isinstance(effects.messages[0], Page) and isinstance(effects.messages[-1], AckEvent)


def test_a_watch_activation_is_recorded_but_nobody_is_paged() -> None:
    escalation, effects = opened(Level.WATCH)
    assert escalation.state is DutyState.RECORDED
    assert effects.messages == [] and effects.timer_started is None
    assert [(t.state, t.via, t.note) for t in effects.transitions] == [
        (DutyState.RECORDED, "triage", "watch")
    ]
    assert escalation.chain == []


def test_a_due_timer_escalates_to_the_backup_and_schedules_the_next_step() -> None:
    escalation, first = opened()
    assert first.timer_started is not None
    effects = fire(escalation, first.timer_started, 5 + 1 / 60)
    assert paged(effects) == [(1, "sato")]
    assert [(e.state, e.step, e.via) for e in events(effects)] == [
        (AckState.ESCALATED, 1, AckVia.TIMER)
    ]
    assert escalation.state is DutyState.ESCALATED and escalation.step == 1
    assert effects.timer_started is not None
    assert effects.timer_started.due_at == NOW + timedelta(minutes=5, seconds=1) + timedelta(
        minutes=10
    )
    assert effects.paged_step == 1


def test_the_last_step_sets_no_timer() -> None:
    escalation, _ = opened()
    act(escalation, Action.ESCALATE)
    last = act(escalation, Action.ESCALATE)
    assert paged(last) == [(2, "ito")] and last.timer_started is None
    assert escalation.timer_id is None


def test_acknowledging_cancels_the_timer_and_a_stale_timer_then_changes_nothing() -> None:
    escalation, first = opened()
    timer = first.timer_started
    assert timer is not None
    effects = act(escalation, Action.ACKNOWLEDGE, at=NOW + timedelta(seconds=90))
    assert [(e.state, e.officer_id, e.via) for e in events(effects)] == [
        (AckState.ACKNOWLEDGED, "aoki", AckVia.CONSOLE)
    ]
    assert effects.timer_cancelled == timer.id and escalation.timer_id is None
    assert escalation.acknowledged_by == "aoki" and effects.waited_s == 90
    assert not escalation.is_escalated_by(timer.id)
    stale = fire(escalation, timer, 60)
    assert stale.messages == [] and not stale.changed
    assert escalation.state is DutyState.ACKNOWLEDGED


def follow(escalation: Escalation, action: Action, minutes: float = 0) -> Effects:
    names = ("フィリピン地震被災者支援", "Philippines Earthquake Response")
    at = NOW + timedelta(minutes=minutes)
    return escalation.follow_programme(action, "aoki", names, ROTA, LINKS, at)


def test_a_stand_down_carries_the_summary_and_is_audited() -> None:
    escalation, first = opened()
    trail = list(first.transitions)
    states: list[AckState] = []
    for minute, action in enumerate((Action.ACKNOWLEDGE, Action.STAND_DOWN)):
        effects = act(
            escalation,
            action,
            via=AckVia.API,
            at=NOW + timedelta(minutes=minute),
            note=f"{action} note",
        )
        states += [e.state for e in events(effects)]
        assert all(e.summary == escalation.summary for e in events(effects))
        trail += effects.transitions
    assert states == [AckState.ACKNOWLEDGED, AckState.STOOD_DOWN]
    assert [(t.state.value, t.officer_id, t.via) for t in trail] == [
        ("paged", None, "timer"),
        ("acknowledged", "aoki", "api"),
        ("stood_down", "aoki", "api"),
    ]
    assert escalation.closed_at == NOW + timedelta(minutes=1)


@pytest.mark.parametrize("action", [Action.LAUNCH, Action.CLOSE])
def test_the_console_and_api_never_launch_nor_close_themselves(action: Action) -> None:
    escalation, _ = opened()
    act(escalation, Action.ACKNOWLEDGE)
    with pytest.raises(OnTheBoardError, match="on the roll-call board"):
        act(escalation, action)
    assert escalation.state is DutyState.ACKNOWLEDGED


def test_a_programme_launched_on_the_board_is_followed_once_then_closed() -> None:
    escalation, _ = opened()
    act(escalation, Action.ACKNOWLEDGE)
    launched = follow(escalation, Action.LAUNCH, 1)
    [event] = events(launched)
    assert (event.state, event.officer_id) == (AckState.LAUNCHED, "aoki")
    assert event.programme_en == "Philippines Earthquake Response"
    assert event.member_message is None  # the roll-call's notices tell the members
    again = follow(escalation, Action.LAUNCH, 2)
    assert not again.changed and again.messages == []
    with pytest.raises(TransitionError):
        act(escalation, Action.STAND_DOWN)
    closed = follow(escalation, Action.CLOSE, 3)
    assert [e.state for e in events(closed)] == [AckState.CLOSED]
    assert escalation.closed_at == NOW + timedelta(minutes=3)


def test_launching_a_programme_before_acknowledging_acknowledges_the_page() -> None:
    escalation, first = opened()
    effects = follow(escalation, Action.LAUNCH, 2)
    assert [e.state for e in events(effects)] == [AckState.ACKNOWLEDGED, AckState.LAUNCHED]
    assert first.timer_started is not None
    assert effects.timer_cancelled == first.timer_started.id
    assert escalation.acknowledged_by == "aoki" and effects.waited_s == 120


def test_only_a_stand_down_keeps_a_message_for_members() -> None:
    escalation, _ = opened()
    ack = act(escalation, Action.ACKNOWLEDGE, member_message="not for members")
    stand_down = act(escalation, Action.STAND_DOWN, member_message="Thank you")
    assert [e.member_message for e in events(ack)] == [None]
    assert [e.member_message for e in events(stand_down)] == ["Thank you"]


def test_an_action_out_of_order_changes_nothing() -> None:
    escalation, _ = opened()
    with pytest.raises(TransitionError):
        act(escalation, Action.LAUNCH)
    assert escalation.state is DutyState.PAGED and escalation.timer_id is not None


def test_escalate_now_walks_the_chain_until_it_runs_out() -> None:
    escalation, first = opened()
    walked = [act(escalation, Action.ESCALATE) for _ in range(2)]
    assert [o for e in walked for _, o in paged(e)] == ["sato", "ito"]
    assert first.timer_started is not None
    assert walked[0].timer_cancelled == first.timer_started.id
    with pytest.raises(ChainExhaustedError):
        act(escalation, Action.ESCALATE)
    assert escalation.step == 2


def test_a_superseded_escalation_stops_its_timer() -> None:
    standby, first = opened(Level.STANDBY)
    upgrade, _ = opened(Level.ACTIVATE)
    effects = standby.supersede(upgrade.activation_id, NOW + timedelta(minutes=1))
    assert first.timer_started is not None
    assert effects.timer_cancelled == first.timer_started.id
    assert standby.superseded_by == upgrade.activation_id
    assert fire(standby, first.timer_started, 6).messages == []


def test_a_timer_that_was_replaced_is_stale() -> None:
    escalation, first = opened()
    act(escalation, Action.ESCALATE)  # a new timer for step 2 replaces the first
    assert first.timer_started is not None
    assert fire(escalation, first.timer_started, 5).messages == []
    assert escalation.step == 1


def test_an_officer_who_left_the_rota_is_skipped_and_the_step_still_counts() -> None:
    escalation, _ = opened()
    without_sato = Rota.model_validate(
        {**rota_dict(), "officers": [o for o in rota_dict()["officers"] if o["id"] != "sato"]}
        | {
            "shifts": [{"start": "00:00", "end": "00:00", "primary": "aoki", "backup": "ito"}],
            "team": ["aoki"],
        }
    )
    effects = escalation.act(Action.ESCALATE, None, AckVia.CONSOLE, without_sato, LINKS, NOW)
    assert paged(effects) == [] and effects.paged_step == 1
    assert escalation.state is DutyState.ESCALATED
    assert [t.note for t in effects.transitions] == ["backup: sato"]
