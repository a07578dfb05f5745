"""A source's withdrawal of every report of an incident (USGS `deleted`) is told once; a
withdrawal of one source among several, or a report never told, is told nothing."""

from __future__ import annotations

from schemas.activations import Level
from schemas.hazards import AlertLevel, Source
from services.triage.backtest import replay
from tests.unit.triage.builders import report, shipped
from tests.withdrawals import reports_told_then_deleted


def test_a_deleted_usgs_event_that_was_told_is_withdrawn_once() -> None:
    told, deleted = reports_told_then_deleted()
    again = deleted.model_copy(update={"version": str(int(deleted.version) + 60_000)})
    outcomes = list(replay([told, deleted, again], shipped()))
    alert, withdrawal, nothing = (o.activation for o in outcomes)
    assert alert is not None and alert.level is Level.ACTIVATE and not alert.retracted
    assert withdrawal is not None and withdrawal.retracted
    assert (withdrawal.level, withdrawal.previous_level) == (Level.NONE, Level.ACTIVATE)
    assert withdrawal.incident_id == alert.incident_id
    assert withdrawal.activation_id != alert.activation_id
    assert [r.rule for r in withdrawal.reasons] == ["withdrawn"]
    assert "usgs:us6000len8" in withdrawal.reasons[0].sentence
    assert nothing is None and outcomes[2].decision.level is Level.NONE


def test_published_again_after_a_withdrawal_it_is_told_again() -> None:
    told, deleted = reports_told_then_deleted()
    back = told.model_copy(update={"version": str(int(deleted.version) + 60_000)})
    activations = [o.activation for o in replay([told, deleted, back], shipped())]
    assert [a.level if a else None for a in activations] == [
        Level.ACTIVATE,
        Level.NONE,
        Level.ACTIVATE,
    ]


def test_a_deleted_usgs_report_beside_another_source_withdraws_nothing() -> None:
    told, deleted = reports_told_then_deleted()
    assert told.lat is not None and told.lon is not None
    gdacs = report(
        "EQ:1400100", alert=AlertLevel.ORANGE, countries=("AFG",), lat=told.lat + 0.05, lon=told.lon,
        at=told.event_time, severity=(6.3, "M"),
    )  # fmt: skip
    outcomes = list(replay([told, gdacs, deleted], shipped()))
    assert outcomes[1].incident is outcomes[0].incident
    assert outcomes[2].activation is None
    assert outcomes[2].decision.level > Level.NONE  # GDACS's report still stands
    assert {r.source for r in outcomes[2].incident.reports.values()} == {
        Source.USGS,
        Source.GDACS,
    }


def test_a_deleted_report_nobody_was_told_about_sends_nothing() -> None:
    _, deleted = reports_told_then_deleted()
    (outcome,) = replay([deleted], shipped())
    assert outcome.activation is None and outcome.decision.level is Level.NONE
