"""The roll-call aggregate without a database: its lifecycle and every refusal of a decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from schemas.members import MemberDirectory
from schemas.responses import (
    AnswerKind,
    AnswerVia,
    CoordinationNotice,
    NoticeKind,
    Programme,
    RollCallAnswer,
    StepAction,
    StepVia,
)
from services.common.config_files import load_yaml_model
from services.response.aggregate import Effects, RollCall
from services.response.lifecycle import (
    DecisionError,
    LifecycleError,
    Move,
    ResponseState,
    allowed_moves,
    next_state,
)
from services.response.rollcall import AnswerView, latest_answers, timeline
from tests.messages import red_quake_activation

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
DIRECTORY = load_yaml_model(
    Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml", MemberDirectory
)
ADDRESSED = ["hope-bridge", "asia-medical", "tohoku-relief", "nihon-logistics", "mofa-observer"]
CAP = 5_000_000


def opened() -> RollCall:
    act = red_quake_activation(NOW - timedelta(minutes=20))
    rollcall, _ = RollCall.open(act, NOW, timedelta(hours=1))
    return rollcall


def said(rollcall: RollCall, org: str, answer: AnswerKind, seq: int) -> AnswerView:
    return AnswerView(
        seq=seq,
        answer_id=str(uuid4()),
        organisation_id=org,
        contact_id=None,
        answer=answer,
        earliest_arrival_hours=None,
        staff=None,
        sectors=(),
        survey_budget_jpy=None,
        note=None,
        via=AnswerVia.LINK,
        recorded_by=None,
        answered_at=NOW,
    )


def answers(rollcall: RollCall) -> dict[str, AnswerView]:
    given = [
        ("hope-bridge", AnswerKind.CAN_DEPLOY),
        ("tohoku-relief", AnswerKind.ON_SITE),
        ("asia-medical", AnswerKind.NOT_THIS_TIME),
        ("nihon-logistics", AnswerKind.OFFER_SUPPORT),
    ]
    return latest_answers(said(rollcall, o, a, i) for i, (o, a) in enumerate(given))


def survey(rollcall: RollCall, choices: dict[str, int]) -> Effects:
    return rollcall.decide_survey(
        choices,
        answers(rollcall),
        ADDRESSED,
        cap_jpy=CAP,
        report_days=7,
        officer_id="sato",
        now=NOW,
    )


def programme(*participants: str, **budgets: int) -> Programme:
    return Programme(
        name_ja="フィリピン地震被災者支援2026",
        name_en="Philippines Earthquake Response 2026",
        duration_months=6,
        participants=list(participants),
        government_budget_jpy=300_000_000,
        private_budget_jpy=0,
        budgets_jpy=budgets,
    )


def launch(rollcall: RollCall, plan: Programme) -> Effects:
    return rollcall.launch(
        plan, answers(rollcall), ADDRESSED, DIRECTORY, officer_id="sato", now=NOW
    )


def notices(effects: Effects) -> dict[NoticeKind, list[str]]:
    return {m.kind: m.organisations for m in effects.messages if isinstance(m, CoordinationNotice)}


# --- the transition table -------------------------------------------------------------------
def test_once_a_programme_runs_it_closes_and_is_never_stood_down() -> None:
    assert allowed_moves(ResponseState.LAUNCHED) == [Move.ANSWER, Move.CLOSE]
    with pytest.raises(LifecycleError, match="cannot stand down: the response is launched"):
        next_state(ResponseState.LAUNCHED, Move.STAND_DOWN)
    assert allowed_moves(ResponseState.CLOSED) == allowed_moves(ResponseState.STOOD_DOWN) == []
    assert ResponseState.LAUNCHED.takes_answers and not ResponseState.CLOSED.takes_answers


# --- refusals of the survey -------------------------------------------------------------------
def test_a_survey_of_more_than_three_organisations_is_refused() -> None:
    rollcall = opened()
    four = dict.fromkeys(["hope-bridge", "tohoku-relief", "a", "b"], CAP)
    with pytest.raises(DecisionError, match="one to 3"):
        survey(rollcall, four)
    with pytest.raises(DecisionError, match="one to 3"):
        survey(rollcall, {})
    assert rollcall.state is ResponseState.OPEN and rollcall.survey == []


def test_a_survey_budget_over_the_cap_is_refused() -> None:
    rollcall = opened()
    with pytest.raises(DecisionError, match="budget for hope-bridge"):
        survey(rollcall, {"hope-bridge": CAP + 1})
    assert rollcall.survey_decided_at is None


@pytest.mark.parametrize("organisation", ["asia-medical", "nihon-logistics", "children-first"])
def test_a_survey_of_an_organisation_that_did_not_offer_to_deploy_is_refused(
    organisation: str,
) -> None:
    with pytest.raises(DecisionError, match=f"{organisation} has not answered that it can"):
        survey(opened(), {organisation: CAP})


def test_a_survey_decided_twice_is_refused() -> None:
    rollcall = opened()
    effects = survey(rollcall, {"hope-bridge": CAP})
    assert rollcall.state is ResponseState.SURVEY_DECIDED
    assert notices(effects)[NoticeKind.SURVEY_DECISION] == ["hope-bridge"]
    with pytest.raises(LifecycleError, match="cannot decide survey"):
        survey(rollcall, {"tohoku-relief": CAP})
    assert [a.organisation_id for a in rollcall.survey] == ["hope-bridge"]


# --- refusals of the launch -----------------------------------------------------------------
def test_a_launch_naming_an_unknown_participant_is_refused() -> None:
    rollcall = opened()
    with pytest.raises(DecisionError, match="unknown organisation"):
        launch(rollcall, programme("hope-bridge", "nobody-we-know"))
    assert rollcall.state is ResponseState.OPEN and rollcall.programme is None


@pytest.mark.parametrize(
    ("participant", "why"),
    [("asia-medical", "answered not this time"), ("mofa-observer", "an observer")],
)
def test_a_launch_with_a_declining_organisation_or_the_observer_is_refused(
    participant: str, why: str
) -> None:
    with pytest.raises(DecisionError, match=why):
        launch(opened(), programme("hope-bridge", participant))


def test_a_budget_for_an_organisation_not_taking_part_is_refused() -> None:
    with pytest.raises(DecisionError, match="not taking part"):
        launch(opened(), programme("hope-bridge", **{"tohoku-relief": 1}))


def test_a_launch_after_the_stand_down_is_refused() -> None:
    rollcall = opened()
    rollcall.stand_down("sato", StepVia.CONSOLE, NOW, ADDRESSED, answers(rollcall))
    with pytest.raises(LifecycleError, match="cannot launch: the response is stood_down"):
        launch(rollcall, programme("hope-bridge"))
    answer = RollCallAnswer(
        incident_id=UUID(rollcall.incident_id),
        organisation_id="hope-bridge",
        answer=AnswerKind.CAN_DEPLOY,
        via=AnswerVia.LINK,
        occurred_at=NOW,
    )
    with pytest.raises(LifecycleError, match="cannot answer"):
        rollcall.answer(answer)


def test_a_second_launch_is_refused() -> None:
    rollcall = opened()
    launch(rollcall, programme("hope-bridge"))
    with pytest.raises(LifecycleError, match="cannot launch: the response is launched"):
        launch(rollcall, programme("tohoku-relief"))


# --- what the launch tells whom ---------------------------------------------------------------
def test_the_launch_tells_participants_to_deploy_and_never_the_declining_nor_the_observer() -> None:
    rollcall = opened()
    effects = launch(rollcall, programme("hope-bridge", **{"hope-bridge": 120_000_000}))
    told = notices(effects)
    assert told == {
        NoticeKind.PROGRAMME_LAUNCH: ["hope-bridge"],
        NoticeKind.PROGRAMME_NOT_LISTED: ["tohoku-relief", "nihon-logistics"],
        NoticeKind.PROGRAMME_NOTICE: ["mofa-observer"],
    }
    [step] = [s.step for s in effects.steps]
    assert step.action is StepAction.PROGRAMME_LAUNCHED and step.programme is not None
    assert step.programme.budgets_jpy == {"hope-bridge": 120_000_000}
    assert rollcall.state is ResponseState.LAUNCHED and effects.answer_ratio == 0.8


def test_closing_tells_the_participants_and_the_observer() -> None:
    rollcall = opened()
    launch(rollcall, programme("hope-bridge", "tohoku-relief"))
    effects = rollcall.close("sato", NOW + timedelta(days=180), DIRECTORY)
    assert notices(effects) == {
        NoticeKind.PROGRAMME_CLOSED: ["hope-bridge", "tohoku-relief", "mofa-observer"]
    }
    assert rollcall.state is ResponseState.CLOSED
    with pytest.raises(LifecycleError):
        rollcall.close("sato", NOW, DIRECTORY)


# --- answers before the roll-call ---------------------------------------------------------------
def test_answers_held_before_the_roll_call_are_attached_when_it_opens() -> None:
    struck = NOW - timedelta(minutes=20)
    act = red_quake_activation(struck).model_copy(update={"occurred_at": struck})
    early = [said(opened(), "hope-bridge", AnswerKind.CAN_DEPLOY, 1)]
    rollcall, effects = RollCall.open(act, NOW + timedelta(seconds=2), timedelta(hours=1), early)
    actions = [(s.step.action, s.step.organisation_id) for s in effects.steps]
    assert actions == [
        (StepAction.OPENED, None),
        (StepAction.ANSWER_RECORDED, "hope-bridge"),
    ]
    assert rollcall.first_answer_at == NOW and effects.first_answer_after_s == 20 * 60


def test_the_reminder_goes_once_to_the_silent_and_never_to_the_observer() -> None:
    rollcall = opened()
    given = list(answers(rollcall).values())[:2]
    later = NOW + timedelta(hours=2)
    effects = rollcall.remind(ADDRESSED, given, DIRECTORY, later)
    assert notices(effects) == {NoticeKind.REMINDER: ["asia-medical", "nihon-logistics"]}
    again = rollcall.remind(ADDRESSED, given, DIRECTORY, later)
    assert again.messages == [] and again.reminded is None


# --- the board's timeline -------------------------------------------------------------------------
@dataclass
class Kept:
    at: datetime
    action: str
    officer_id: str | None
    detail: dict[str, Any]


def test_an_organisation_changing_its_answer_is_one_timeline_line_with_its_latest() -> None:
    answer = "answer_recorded"
    trail = [Kept(NOW, "rollcall_opened", None, {})]
    for minute in range(16):
        said_now = "can_deploy" if minute % 2 else "not_this_time"
        detail = {"organisation_id": "hope-bridge", "answer": said_now}
        trail.append(Kept(NOW + timedelta(minutes=minute), answer, None, detail))
        if minute == 3:
            other = {"organisation_id": "tohoku-relief", "answer": "on_site"}
            trail.append(Kept(NOW + timedelta(minutes=3), answer, None, other))
    survey = {"survey": [{"organisation_id": "hope-bridge", "budget_jpy": CAP}]}
    trail.append(Kept(NOW + timedelta(hours=1), "survey_decided", "sato", survey))
    lines = [(x.action, x.organisation_id, x.answer, x.answers) for x in timeline(trail)]
    assert lines == [
        ("rollcall_opened", None, None, 1),
        ("answer_recorded", "tohoku-relief", "on_site", 1),
        ("answer_recorded", "hope-bridge", "can_deploy", 16),
        ("survey_decided", None, None, 1),
    ]
    assert timeline(trail)[-1].organisations == ("hope-bridge",)
