"""When triage broadcasts: a first level, upgrades, never the same level twice, duty officers' calls."""

from __future__ import annotations

from schemas.acks import AckState
from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardEvent
from services.triage.engine import Processed, Triage, activation_id, apply_ack
from tests.unit.triage.builders import context, hours, report, shipped


def triage() -> Triage:
    criteria = shipped()
    return Triage(criteria, context(criteria))


def episode(n: int, alert: AlertLevel, *, people: int | None = None) -> HazardEvent:
    return report("TC:7000001", version=str(n), alert=alert, people=people, lat=13.0, lon=124.0)


def test_an_incident_reaching_watch_is_broadcast_once() -> None:
    engine = triage()
    first = engine.process(episode(1, AlertLevel.ORANGE, people=50_000))
    assert first.decision.level is Level.STANDBY
    assert first.activation is not None
    assert first.activation.previous_level is Level.NONE
    again = engine.process(episode(2, AlertLevel.ORANGE, people=60_000))
    assert again.decision.level is Level.STANDBY and again.activation is None


def test_an_upgrade_from_standby_to_activate_alerts_again() -> None:
    engine = triage()
    standby = engine.process(episode(1, AlertLevel.ORANGE))
    activate = engine.process(episode(2, AlertLevel.RED))
    assert standby.activation is not None and activate.activation is not None
    assert activate.activation.level is Level.ACTIVATE
    assert activate.activation.previous_level is Level.STANDBY
    assert activate.activation.incident_id == standby.activation.incident_id
    assert activate.activation.activation_id != standby.activation.activation_id


def test_a_downgrade_is_recorded_not_broadcast_and_no_level_is_told_twice() -> None:
    engine = triage()
    engine.process(episode(1, AlertLevel.RED))
    down = engine.process(episode(2, AlertLevel.ORANGE))
    assert down.downgraded and down.decision.level is Level.STANDBY and down.activation is None
    back = engine.process(episode(3, AlertLevel.RED))
    assert back.decision.level is Level.ACTIVATE and back.activation is None


def test_a_stale_episode_changes_nothing() -> None:
    engine = triage()
    engine.process(episode(2, AlertLevel.ORANGE))
    late = engine.process(episode(1, AlertLevel.RED))
    assert late.stale and late.activation is None and late.decision.level is Level.STANDBY


def test_a_green_report_is_never_broadcast() -> None:
    outcome = triage().process(report("FL:7000002", alert=AlertLevel.GREEN, countries=("BGD",)))
    assert outcome.decision.level is Level.NONE and outcome.activation is None


def test_after_a_stand_down_the_same_level_is_not_realerted_but_an_upgrade_is() -> None:
    engine = triage()
    first = engine.process(episode(1, AlertLevel.ORANGE))
    incident = first.incident
    assert apply_ack(incident, AckState.STOOD_DOWN, Level.STANDBY)
    # The level falls and rises again: the officer already judged standby.
    engine.process(report("TC:7000001", version="2", alert=AlertLevel.GREEN, lat=13.0, lon=124.0))
    again = engine.process(episode(3, AlertLevel.ORANGE))
    assert again.decision.level is Level.STANDBY and again.activation is None
    upgrade = engine.process(episode(4, AlertLevel.RED))
    assert upgrade.activation is not None and upgrade.activation.level is Level.ACTIVATE


def test_after_a_launch_nothing_more_is_broadcast() -> None:
    engine = triage()
    first = engine.process(episode(1, AlertLevel.ORANGE))
    assert apply_ack(first.incident, AckState.LAUNCHED, Level.STANDBY)
    assert engine.process(episode(2, AlertLevel.RED)).activation is None


def test_paging_and_acknowledging_do_not_change_what_is_broadcast() -> None:
    first = triage().process(episode(1, AlertLevel.ORANGE))
    for state in (AckState.PAGED, AckState.ESCALATED, AckState.ACKNOWLEDGED):
        assert not apply_ack(first.incident, state, Level.STANDBY)
    assert first.incident.acked_level is Level.NONE


def test_ids_are_the_same_on_every_replay() -> None:
    def run() -> Processed:
        return triage().process(episode(1, AlertLevel.RED))

    a, b = run(), run()
    assert a.incident.id == b.incident.id
    assert a.activation is not None and b.activation is not None
    assert (
        a.activation.activation_id
        == b.activation.activation_id
        == activation_id(a.incident.id, Level.ACTIVATE)
    )


def test_the_activation_summary_tells_members_what_happened() -> None:
    engine = triage()
    gdacs = report(
        "EQ:7000003",
        alert=AlertLevel.RED,
        people=2_114_000,
        severity=(7.4, "M"),
        glide="EQ-2026-000400-PHL",
        title="Red earthquake alert in Philippines",
    )
    outcome = engine.process(gdacs)
    assert outcome.activation is not None
    summary = outcome.activation.summary
    assert summary.title == "Red earthquake alert in Philippines"
    assert summary.countries == ["PHL"] and summary.population_exposed == 2_114_000
    assert summary.alert_level is AlertLevel.RED
    assert summary.severity is not None and summary.severity.value == 7.4
    assert summary.glide == "EQ-2026-000400-PHL"
    assert summary.sources == ["gdacs:EQ:7000003"]
    assert summary.event_time == gdacs.event_time
    assert outcome.activation.occurred_at == gdacs.event_time + hours(0)
