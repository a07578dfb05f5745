"""The roll-call's metrics: activation to first answer and to the survey decision, answer rate.

Counted from the incident's first activation (triage's time), once per incident, and only once
the step has committed.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from schemas.acks import AckVia
from tests.integration.response.rig import START, Rig, activation, launch_form, survey_form

SERVICE = "response"
ORGS = ["hope-bridge", "asia-medical", "tohoku-relief", "nihon-logistics"]
FIRST = "standby_rollcall_first_answer_seconds"
SURVEY = "standby_rollcall_survey_decision_seconds"
RATIO = "standby_rollcall_answer_ratio"


def sample(name: str) -> tuple[float, float]:
    """(count, sum) of an unlabelled histogram."""
    return (
        REGISTRY.get_sample_value(f"{name}_count") or 0.0,
        REGISTRY.get_sample_value(f"{name}_sum") or 0.0,
    )


def grew(before: tuple[float, float], name: str) -> tuple[float, float]:
    after = sample(name)
    return after[0] - before[0], round(after[1] - before[1], 6)


async def test_first_answer_survey_and_answer_rate_are_counted_once_per_incident(
    rig: Rig,
) -> None:
    # Triage activated the quake 10 minutes before this service opened its roll-call.
    quake = activation().model_copy(update={"occurred_at": START - timedelta(minutes=10)})
    await rig.open(ORGS, quake)
    first, survey, ratio = sample(FIRST), sample(SURVEY), sample(RATIO)
    officer = rig.officer_headers()
    base = f"/rollcall/{quake.incident_id}"
    async with rig.client() as client:
        rig.now = START + timedelta(minutes=5)
        await client.post(rig.link(quake, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        rig.now = START + timedelta(minutes=8)
        await client.post(rig.link(quake, "asia-medical", "sato"), data={"answer": "on_site"})
        assert grew(first, FIRST) == (1, 15 * 60)
        rig.now = START + timedelta(hours=2)
        for _ in range(2):  # the second is refused: decided already
            await client.post(
                f"{base}/survey",
                data=survey_form("hope-bridge"),
                headers=officer,
            )
        assert grew(survey, SURVEY) == (1, 2 * 3600 + 10 * 60)
        assert grew(ratio, RATIO) == (0, 0)  # the roll-call is still open
        await client.post(
            f"{base}/launch",
            data=launch_form(["hope-bridge"]),
            headers=officer,
        )
    assert grew(ratio, RATIO) == (1, 0.5)  # two of the four addressed answered


async def test_a_stand_down_counts_the_answer_rate_once(rig: Rig) -> None:
    quiet = await rig.open(ORGS)
    ratio = sample(RATIO)
    await rig.stand_down(quiet)
    await rig.stand_down(quiet, via=AckVia.LINK)  # a second officer's late stand-down
    assert grew(ratio, RATIO) == (1, 0.0)
