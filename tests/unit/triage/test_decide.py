"""Decisions under the shipped criteria: the walking skeleton's rules, coping capacity, reasons."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardEvent, HazardType, Impact
from services.triage.decide import NO_CRITERION, Decision
from services.triage.engine import Triage
from services.triage.facts import Presence
from tests.unit.triage.builders import (
    T0,
    context,
    directory,
    gdacs_quake,
    reliefweb_report,
    report,
    shipped,
)


def decide(*events: HazardEvent, presence: Presence | None = None) -> Decision:
    criteria = shipped()
    ctx = context(criteria)
    if presence is not None:
        ctx = type(ctx)(ctx.priority_regions, ctx.home_countries, presence)
    triage = Triage(criteria, ctx)
    outcome = None
    for event in events:
        outcome = triage.process(event)
    assert outcome is not None
    return outcome.decision


def red_earthquake_in_the_philippines() -> HazardEvent:
    return gdacs_quake(
        "EQ:9000001", T0, 9.7, 126.2, 7.4, AlertLevel.RED, countries=("PHL",), people=2_114_000
    )


def earthquake_in_japan(
    source_id: str, alert: AlertLevel, magnitude: float, **fields: Any
) -> HazardEvent:
    return report(source_id, alert=alert, countries=("JPN",), severity=(magnitude, "M"), **fields)


def test_a_red_earthquake_in_the_philippines_with_millions_exposed_activates() -> None:
    decision = decide(red_earthquake_in_the_philippines())
    assert decision.level is Level.ACTIVATE
    assert "gdacs-red" in decision.rules and "population-large" in decision.rules
    sentences = [r.sentence for r in decision.reasons]
    assert "GDACS alert level Red" in sentences
    assert "2,114,000 people exposed ≥ 1,000,000" in sentences


def test_a_reason_carries_the_values_that_made_it_fire() -> None:
    decision = decide(red_earthquake_in_the_philippines())
    population = next(r for r in decision.reasons if r.rule == "population-large")
    assert population.values == {
        "alert_level": "red",
        "population_exposed": 2_114_000,
        "alert_level_at_least": "orange",
        "population_exposed_at_least": 1_000_000,
    }
    assert population.level is Level.STANDBY and population.weight == 20
    assert isinstance(population.values["population_exposed_at_least"], int)


def test_an_orange_cyclone_in_the_philippines_means_standby() -> None:
    cyclone = report(
        "TC:9000002",
        alert=AlertLevel.ORANGE,
        people=450_000,
        severity=(148, "km/h"),
        lat=13.1,
        lon=124.6,
    )
    decision = decide(cyclone)
    assert decision.level is Level.STANDBY
    assert "orange-in-priority-region" in decision.rules
    assert any("priority region (South-eastern Asia)" in r.sentence for r in decision.reasons)


def test_a_green_flood_activates_nobody_and_still_says_why() -> None:
    decision = decide(report("FL:9000003", alert=AlertLevel.GREEN, countries=("BGD",), people=0))
    assert decision.level is Level.NONE
    assert decision.rules == (NO_CRITERION,)
    assert decision.reasons[0].sentence == (
        "No criterion met: flood in Bangladesh, source alert level Green"
    )


def test_a_red_alert_in_a_high_income_country_is_held_at_standby() -> None:
    decision = decide(
        report("EQ:9000004", alert=AlertLevel.RED, countries=("USA",), lat=37.0, lon=-120.0)
    )
    assert decision.level is Level.STANDBY
    cap = next(r for r in decision.reasons if r.rule == "coping-capacity")
    assert cap.sentence == (
        "Held at standby: United States of America (World Bank income high) usually copes alone"
    )
    assert decision.score == 25  # 45 for the red alert, 20 taken away by the cap


def test_a_cap_that_holds_nothing_down_is_not_a_reason() -> None:
    decision = decide(report("WF:9000005", alert=AlertLevel.GREEN, countries=("AUS",)))
    assert decision.rules == (NO_CRITERION,)


def test_a_red_earthquake_in_japan_is_not_tempered_by_coping_capacity() -> None:
    decision = decide(earthquake_in_japan("EQ:9000006", AlertLevel.RED, 7.1, lat=38.0, lon=142.0))
    assert decision.level is Level.ACTIVATE
    assert "coping-capacity" not in decision.rules
    assert {"domestic-alert", "domestic-strong-earthquake"} <= set(decision.rules)


def test_a_strong_green_earthquake_in_japan_still_means_standby() -> None:
    decision = decide(earthquake_in_japan("EQ:9000007", AlertLevel.GREEN, 6.4, people=50_000))
    assert decision.level is Level.STANDBY
    assert "Domestic earthquake of magnitude 6.4 in Japan" in [r.sentence for r in decision.reasons]


def test_an_orange_alert_where_members_operate_names_them() -> None:
    presence = Presence.from_directory(
        directory(**{"kizuna-water": ["KEN"], "hope-bridge": ["KEN", "PHL"]})
    )
    decision = decide(
        report("FL:9000008", alert=AlertLevel.ORANGE, countries=("KEN",), lat=0.5, lon=38.0),
        presence=presence,
    )
    assert decision.level is Level.STANDBY
    members = next(r for r in decision.reasons if r.rule == "orange-where-members-operate")
    assert members.sentence == "GDACS alert level Orange where 2 member organisation(s) operate"
    named = next(r for r in decision.reasons if r.rule == "members-present")
    assert named.sentence == "Member organisations present in Kenya: Kizuna Water, Hope Bridge"
    assert members.values["members_present"] == 2


def test_a_reliefweb_alert_for_a_rapid_onset_disaster_means_standby_but_an_epidemic_does_not() -> (
    None
):
    flood = reliefweb_report("51000", HazardType.FLOOD, status="alert", countries=("GTM",))
    assert decide(flood).level is Level.STANDBY
    outbreak = reliefweb_report("51001", HazardType.EPIDEMIC, status="alert", countries=("TGO",))
    assert decide(outbreak).level is Level.NONE


def test_corroboration_by_a_second_source_adds_weight_and_says_so() -> None:
    gdacs = report(
        "TC:9000009", alert=AlertLevel.ORANGE, glide="TC-2026-000321-PHL", people=450_000
    )
    relief = reliefweb_report(
        "52000", HazardType.TROPICAL_CYCLONE, status="current", glide="TC-2026-000321-PHL"
    )
    alone, together = decide(gdacs), decide(gdacs, relief)
    assert together.score == alone.score + 10 + 10  # corroborated, and ReliefWeb tracks it
    assert "Reported by 2 independent sources (gdacs, reliefweb)" in [
        r.sentence for r in together.reasons
    ]


def test_a_decision_without_reasons_cannot_exist() -> None:
    with pytest.raises(ValueError, match="at least one reason"):
        Decision(Level.WATCH, 10, ())


def test_reasons_carry_a_japanese_sentence_for_japanese_members() -> None:
    decision = decide(red_earthquake_in_the_philippines())
    by_rule = {r.rule: r for r in decision.reasons}
    assert by_rule["gdacs-red"].sentence_ja == "GDACS警報レベル Red"
    assert by_rule["population-large"].sentence_ja == "影響人口 2,114,000人（基準 1,000,000人以上）"
    quiet = decide(report("FL:9000010", alert=AlertLevel.GREEN, countries=("BGD",)))
    assert quiet.reasons[0].sentence_ja == "基準に該当なし（Bangladesh、flood）"


def test_japan_activates_only_when_japan_itself_is_hit_hard() -> None:
    def japan(alert: AlertLevel, countries: tuple[str, ...]) -> Level:
        event = report("TC:9000101", alert=alert, countries=countries, lat=33.0, lon=131.0)
        return decide(event).level

    assert japan(AlertLevel.RED, ("JPN",)) is Level.ACTIVATE
    assert japan(AlertLevel.ORANGE, ("JPN",)) is Level.STANDBY
    assert japan(AlertLevel.RED, ("CHN", "JPN")) is Level.STANDBY


def test_upper_middle_income_is_held_at_standby_unless_the_toll_says_otherwise() -> None:
    quake = report("EQ:9000102", alert=AlertLevel.RED, countries=("ECU",), lat=0.4, lon=-79.9)
    held = decide(quake)
    assert held.level is Level.STANDBY and "middle-capacity" in held.rules
    toll = quake.model_copy(update={"impact": Impact(deaths=650)})
    assert decide(toll).level is Level.STANDBY
    disaster = quake.model_copy(update={"impact": Impact(deaths=1200)})
    assert decide(disaster).level is Level.ACTIVATE
    assert "1,200 deaths reported ≥ 100" in [r.sentence for r in decide(disaster).reasons]


def test_a_red_alert_nobody_could_place_waits_for_the_duty_officer() -> None:
    decision = decide(
        report("EQ:9000103", alert=AlertLevel.RED, countries=(), lat=-56.0, lon=-27.0)
    )
    assert decision.level is Level.STANDBY
    assert "place-unknown" in decision.rules
