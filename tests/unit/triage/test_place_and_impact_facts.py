"""Rules can use deaths, displaced and affected apart, and how (or whether) a place was found."""

from __future__ import annotations

from pathlib import Path

from schemas.activations import Level
from schemas.hazards import AlertLevel, FoundBy, HazardEvent, Impact, Place
from services.triage.criteria import load_criteria
from services.triage.engine import Triage
from tests.unit.triage.builders import REPO, context, report

RULES = """\
rules:
  - name: deadly
    level: standby
    weight: 30
    when:
      deaths: {at_least: 100}
    sentence: "{deaths:,} deaths reported ≥ {deaths_at_least:,}"
  - name: displacing
    level: watch
    weight: 10
    when:
      displaced: {at_least: 1000}
    sentence: "{displaced:,} people displaced"
  - name: orange-unplaced
    level: watch
    weight: 5
    when:
      alert_level: {at_least: orange}
      country_unresolved: true
    sentence: "GDACS {alert_level} with no country found: check it by hand"
  - name: placed-by-point
    level: none
    weight: 1
    when:
      countries_found_by: {any_of: [coordinates]}
    sentence: "Placed as {place_evidence}"
"""


def decide(tmp_path: Path, event: HazardEvent) -> tuple[Level, list[str]]:
    path = tmp_path / "criteria.yaml"
    path.write_text(RULES, encoding="utf-8")
    criteria = load_criteria(path)
    decision = Triage(criteria, context(criteria)).process(event).decision
    return decision.level, [r.sentence for r in decision.reasons]


def test_a_deadly_flood_stands_by_on_its_deaths_and_says_so(tmp_path: Path) -> None:
    flood = report("FL:1", alert=AlertLevel.ORANGE).model_copy(
        update={"impact": Impact(deaths=121, displaced=2400)}
    )
    level, reasons = decide(tmp_path, flood)
    assert level is Level.STANDBY
    assert reasons == ["121 deaths reported ≥ 100", "2,400 people displaced"]


def test_an_unplaced_report_gets_the_country_unresolved_fact(tmp_path: Path) -> None:
    level, reasons = decide(tmp_path, report("EQ:2", alert=AlertLevel.ORANGE, countries=()))
    assert level is Level.WATCH
    assert reasons == ["GDACS Orange with no country found: check it by hand"]


def test_a_reason_says_how_a_country_was_found(tmp_path: Path) -> None:
    event = report("EQ:3", countries=("JPN",)).model_copy(
        update={
            "places": [
                Place(
                    iso3="JPN", found_by=FoundBy.COORDINATES, text="38.30, 142.40", distance_km=96
                )
            ]
        }
    )
    _, reasons = decide(tmp_path, event)
    assert reasons == ["Placed as Japan (from the point, 96 km from land)"]


def test_a_context_replaced_with_new_presence_forgets_facts_of_the_old_one() -> None:
    import dataclasses

    from services.triage.facts import Presence

    old = context(load_criteria(REPO / "deploy" / "criteria.yaml"))
    assert old.country_facts(frozenset({"PHL"}))[4] == 0
    new = dataclasses.replace(old, presence=Presence({"PHL": ("Org A",)}))
    assert new.country_facts(frozenset({"PHL"}))[4] == 1
