"""The criteria file is strict as a compiler: every mistake is an error naming file, line, column."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.activations import Level
from services.common.errors import ConfigError
from services.triage.criteria import Effect, load_criteria
from tests.unit.triage.builders import SHIPPED_CRITERIA

GOOD_RULE = """\
rules:
  - name: gdacs-red
    level: activate
    weight: 40
    when:
      alert_level: {at_least: red}
    sentence: "GDACS alert level {alert_level}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "criteria.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_criteria(write(tmp_path, text))
    return str(caught.value)


def test_the_shipped_criteria_load_with_domestic_japan_and_a_coping_capacity_cap() -> None:
    criteria = load_criteria(SHIPPED_CRITERIA)
    names = {rule.name for rule in criteria.rules}
    assert {"gdacs-red", "coping-capacity", "domestic-alert", "corroborated"} <= names
    assert criteria.home_countries == ["JPN"]
    cap = next(r for r in criteria.rules if r.name == "coping-capacity")
    assert cap.effect is Effect.CAP and cap.level is Level.STANDBY


def test_a_minimal_rule_loads(tmp_path: Path) -> None:
    criteria = load_criteria(write(tmp_path, GOOD_RULE))
    assert criteria.rules[0].when.tests().keys() == {"alert_level"}


def test_an_unknown_key_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, GOOD_RULE.replace("    weight: 40\n", "    weight: 40\n    wieght: 3\n")
    )
    assert "criteria.yaml:5:5: rules.0.wieght: unknown key" in message


def test_an_unknown_fact_is_an_error(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, GOOD_RULE.replace("alert_level: {at_least: red}", "magnitude: {at_least: 7}")
    )
    assert "criteria.yaml:6:7: rules.0.when.magnitude: unknown key" in message


def test_an_unknown_hazard_type_is_an_error(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("alert_level: {at_least: red}", "hazard: {in: [EQ, XX]}")
    message = error_of(tmp_path, text)
    assert "rules.0.when.hazard.in.1" in message and "criteria.yaml:6:" in message


def test_impossible_thresholds_are_errors(tmp_path: Path) -> None:
    text = GOOD_RULE.replace(
        "alert_level: {at_least: red}", "population_exposed: {at_least: 1000, at_most: 10}"
    )
    assert "impossible: at_least 1000.0 > at_most 10.0" in error_of(tmp_path, text)
    text = GOOD_RULE.replace(
        "alert_level: {at_least: red}", "alert_level: {at_least: red, at_most: green}"
    )
    assert "impossible" in error_of(tmp_path, text)
    text = GOOD_RULE.replace("alert_level: {at_least: red}", "population_exposed: {at_least: -5}")
    assert "greater than or equal to 0" in error_of(tmp_path, text)


def test_unknown_countries_and_regions_are_errors(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("alert_level: {at_least: red}", "countries: {any_of: [JPN, XYZ]}")
    assert "unknown ISO3 country code 'XYZ'" in error_of(tmp_path, text)
    text = "priority_regions: [South-East Asia]\n" + GOOD_RULE
    message = error_of(tmp_path, text)
    assert "criteria.yaml:1:" in message and "unknown UN M49 region 'South-East Asia'" in message


def test_a_sentence_naming_an_unknown_value_is_an_error(tmp_path: Path) -> None:
    text = GOOD_RULE.replace('"GDACS alert level {alert_level}"', '"{people:,} exposed"')
    message = error_of(tmp_path, text)
    assert "rules.0.sentence" in message and "{people}" in message


def test_a_sentence_that_cannot_render_is_an_error(tmp_path: Path) -> None:
    text = GOOD_RULE.replace('"GDACS alert level {alert_level}"', '"{alert_level:,}"')
    assert "sentence cannot be rendered" in error_of(tmp_path, text)


def test_a_rule_without_conditions_or_effect_is_an_error(tmp_path: Path) -> None:
    assert "at least one fact" in error_of(
        tmp_path, GOOD_RULE.replace("alert_level: {at_least: red}", "{}")
    )
    text = GOOD_RULE.replace("level: activate", "level: none").replace("weight: 40", "weight: 0")
    assert "neither raises the level nor adds points" in error_of(tmp_path, text)


def test_a_cap_at_activate_or_adding_points_is_an_error(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("level: activate", "effect: cap\n    level: activate")
    assert "never limits anything" in error_of(tmp_path, text)
    text = GOOD_RULE.replace("level: activate", "effect: cap\n    level: standby")
    assert "can only take points away" in error_of(tmp_path, text)


def test_duplicate_rule_names_are_an_error(tmp_path: Path) -> None:
    body = GOOD_RULE.split("rules:\n", 1)[1]
    assert "duplicate rule name 'gdacs-red'" in error_of(tmp_path, "rules:\n" + body + body)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, GOOD_RULE.replace("when:", "when: [unclosed"))
    assert "criteria.yaml:" in message and "invalid YAML" in message


def test_extension_keys_carry_anchors_that_rules_reuse(tmp_path: Path) -> None:
    text = "x-quick: &quick [EQ, TC]\n" + GOOD_RULE.replace(
        "alert_level: {at_least: red}", "alert_level: {at_least: red}\n      hazard: {in: *quick}"
    )
    criteria = load_criteria(write(tmp_path, text))
    hazard = criteria.rules[0].when.hazard
    assert hazard is not None and [h.value for h in hazard.in_] == ["EQ", "TC"]


def test_every_documented_fact_can_be_tested_and_named_in_a_sentence(tmp_path: Path) -> None:
    from services.triage.conditions import Conditions
    from services.triage.facts import FACTS

    assert set(Conditions.model_fields) == set(FACTS)
    text = GOOD_RULE.replace(
        "alert_level: {at_least: red}", "episode_alert_level: {at_least: orange}"
    ).replace(
        '"GDACS alert level {alert_level}"', '"episode {episode_alert_level}, event {alert_level}"'
    )
    assert load_criteria(write(tmp_path, text)).rules[0].when.episode_alert_level is not None


def test_a_japanese_sentence_is_checked_like_the_english_one(tmp_path: Path) -> None:
    text = GOOD_RULE.replace(
        '    sentence: "GDACS alert level {alert_level}"\n',
        '    sentence: "GDACS alert level {alert_level}"\n    sentence_ja: "警報 {alart_level}"\n',
    )
    message = error_of(tmp_path, text)
    assert "rules.0.sentence_ja" in message and "{alart_level}" in message
