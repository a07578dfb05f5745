"""The roll-call's steps, as the response service publishes them on `rollcall.v1`, are on the
timeline of every activation of their incident in the console and in its API, once each."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from schemas.activations import Activation, Level
from schemas.responses import AnswerKind, Programme, RollCallStep, StepAction, StepVia
from services.duty.clock import EscalationClock
from services.duty.handlers import DutyHandlers
from tests.integration.duty.console_app import Console
from tests.integration.duty.factories import NOW, activation

SERVICE = "duty"


def handlers(console: Console) -> DutyHandlers:
    deps = console.deps
    escalation_clock = EscalationClock(deps.db, deps.duty, deps.work, lambda: NOW, 1.0)
    return DutyHandlers(deps.work, deps.duty, escalation_clock, lambda: NOW)


def step(
    act: Activation, minutes: int, action: StepAction, via: StepVia, **more: object
) -> RollCallStep:
    return RollCallStep.model_validate(
        {
            "incident_id": act.incident_id,
            "activation_id": act.activation_id,
            "action": action,
            "via": via,
            "occurred_at": NOW + timedelta(minutes=minutes),
            **more,
        }
    )


def rollcall_of(timeline: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [
        (e["state"], e["contact"], e["answer"], e["officer_id"], e["organisations"])
        for e in timeline
        if e["kind"] == "rollcall"
    ]


async def test_every_step_of_the_roll_call_is_on_the_activations_timeline_once(
    console: Console,
) -> None:
    quake = activation()
    other = activation(title="Another incident")
    for act in (quake, other):
        await console.page(act)
    programme = Programme(
        name_ja="日本地震被災者支援2026",
        name_en="Emergency Response to the 2026 Japan Earthquake",
        duration_months=6,
        participants=["alpha-relief", "tohoku-relief"],
        government_budget_jpy=100_000_000,
        private_budget_jpy=0,
    )
    answer = step(
        quake,
        3,
        StepAction.ANSWER_RECORDED,
        StepVia.LINK,
        organisation_id="alpha-relief",
        answer=AnswerKind.CAN_DEPLOY,
    )
    steps = [
        step(quake, 0, StepAction.OPENED, StepVia.SYSTEM, level=Level.ACTIVATE),
        answer,
        answer,  # redelivered after a consumer restart: kept once
        step(
            quake,
            9,
            StepAction.PHONE_ANSWER_RECORDED,
            StepVia.CONSOLE,
            officer_id="sato",
            organisation_id="tohoku-relief",
            answer=AnswerKind.ON_SITE,
        ),
        step(quake, 60, StepAction.REMINDER_SENT, StepVia.TIMER, organisations=["gamma-care"]),
        step(
            quake,
            70,
            StepAction.SURVEY_DECIDED,
            StepVia.CONSOLE,
            officer_id="aoki",
            organisations=["alpha-relief"],
        ),
        step(
            quake,
            90,
            StepAction.PROGRAMME_LAUNCHED,
            StepVia.CONSOLE,
            officer_id="aoki",
            organisations=programme.participants,
            programme=programme,
        ),
        step(other, 5, StepAction.CLOSED_STOOD_DOWN, StepVia.LINK, officer_id="sato"),
    ]
    for message in steps:
        await handlers(console).on_rollcall_step(message)

    await console.login()
    detail = (await console.client.get(f"/api/v1/activations/{quake.activation_id}")).json()
    assert detail["rollcall"] is True
    assert rollcall_of(detail["timeline"]) == [
        ("rollcall_opened", None, None, None, []),
        ("answer_recorded", "alpha-relief", "can_deploy", None, []),
        ("phone_answer_recorded", "tohoku-relief", "on_site", "sato", []),
        ("reminder_sent", None, None, None, ["gamma-care"]),
        ("survey_decided", None, None, "aoki", ["alpha-relief"]),
        ("programme_launched", None, None, "aoki", ["alpha-relief", "tohoku-relief"]),
    ]
    stood_down = (await console.client.get(f"/api/v1/activations/{other.activation_id}")).json()
    assert rollcall_of(stood_down["timeline"]) == [
        ("rollcall_closed_stood_down", None, None, "sato", [])
    ]

    html = (await console.client.get(f"/activations/{quake.activation_id}")).text
    assert f'href="/rollcall/{quake.incident_id}"' in html
    assert "answer through the member&#39;s link: alpha-relief — can deploy</span>" in html
    assert (
        "answer taken by phone: tohoku-relief — already responding on site · Sato Ken</span>"
        in html
    )
    assert "reminder sent → gamma-care</span>" in html
    assert (
        "programme launched: Emergency Response to the 2026 Japan Earthquake"
        " → alpha-relief, tohoku-relief · Aoki Aoi</span>"
    ) in html
    await console.client.get("/lang/ja?next=/")
    japanese = (await console.client.get(f"/activations/{quake.activation_id}")).text
    assert "支援プログラム立ち上げ: 日本地震被災者支援2026 →" in japanese
    assert "電話での回答を記録: tohoku-relief — 現地で対応中 · " in japanese


async def test_an_upgrade_shows_the_incidents_whole_roll_call(console: Console) -> None:
    first = activation(Level.STANDBY)
    upgraded = activation(Level.ACTIVATE, incident_id=first.incident_id)
    await console.page(first)
    await console.page(upgraded, at=NOW + timedelta(minutes=20))
    await handlers(console).on_rollcall_step(
        step(first, 0, StepAction.OPENED, StepVia.SYSTEM, level=Level.STANDBY)
    )
    await handlers(console).on_rollcall_step(
        step(upgraded, 20, StepAction.UPGRADED, StepVia.SYSTEM, level=Level.ACTIVATE)
    )
    await console.login()
    for act in (first, upgraded):
        detail = (await console.client.get(f"/api/v1/activations/{act.activation_id}")).json()
        assert [e["state"] for e in detail["timeline"] if e["kind"] == "rollcall"] == [
            "rollcall_opened",
            "rollcall_upgraded",
        ]
    assert UUID(detail["incident_id"]) == first.incident_id
