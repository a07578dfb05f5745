"""The activation criteria (`criteria.yaml`): a pydantic model strict enough to act as a compiler.

A rule says which facts must hold (`when`, optionally `unless`), the level it recommends (or,
for a `cap` rule, the highest level it allows), its weight toward the 0-100 score, and the
sentence that explains it to a person. Unknown keys, facts, hazard types, countries, regions,
impossible thresholds and sentences naming unknown values are all load errors.
"""

from __future__ import annotations

import string
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from schemas.activations import Level
from services.common.config_files import load_yaml_model
from services.triage.conditions import Conditions, KnownCountry, RegionName, Strict
from services.triage.facts import DISPLAY_ONLY, FACTS

RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class Effect(StrEnum):
    RAISE = "raise"
    CAP = "cap"


class Rule(Strict):
    """One criterion: when these facts hold, recommend (or cap at) a level, and say why."""

    name: RuleName
    effect: Effect = Effect.RAISE
    level: Level = Field(description="Recommended level; for a cap rule the highest allowed.")
    weight: float = Field(default=0, ge=-100, le=100, description="Points toward the score.")
    description: str | None = Field(default=None, description="Why the rule exists.")
    when: Conditions
    unless: Conditions | None = None
    sentence: str = Field(min_length=1, description="str.format template over facts/operands.")
    sentence_ja: str | None = Field(
        default=None, min_length=1, description="The sentence in Japanese, for Japanese readers."
    )

    @field_validator("sentence", "sentence_ja")
    @classmethod
    def _sentence_names_known_values(cls, sentence: str | None, info: ValidationInfo) -> str | None:
        when = info.data.get("when")
        if sentence is None or not isinstance(when, Conditions):
            return sentence  # absent, or `when` itself is invalid and reported
        allowed = sentence_names(when)
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(sentence) if f is not None]
        except ValueError as err:
            raise ValueError(f"malformed sentence template: {err}") from err
        for name in fields:
            root = name.split(".", 1)[0].split("[", 1)[0]
            if root not in allowed:
                raise ValueError(
                    f"sentence names {{{root}}}, which is not a fact or an operand of this rule; "
                    f"known: {', '.join(sorted(allowed))}"
                )
        try:
            sentence.format_map(sample_values(when))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
            raise ValueError(f"sentence cannot be rendered: {err}") from err
        return sentence

    @model_validator(mode="after")
    def _effect_makes_sense(self) -> Rule:
        if self.effect is Effect.CAP:
            if self.level is Level.ACTIVATE:
                raise ValueError("a cap at activate never limits anything; use a lower level")
            if self.weight > 0:
                raise ValueError("a cap rule can only take points away (weight <= 0)")
        elif self.weight < 0:
            raise ValueError("a raise rule adds points (weight >= 0); use a cap rule to subtract")
        elif self.level is Level.NONE and self.weight == 0:
            raise ValueError("this rule neither raises the level nor adds points")
        return self


class Criteria(Strict):
    """The whole criteria file."""

    version: Literal[1] = 1
    priority_regions: list[RegionName] = Field(
        default_factory=list, description="UN M49 regions or sub-regions the platform prioritises."
    )
    home_countries: list[KnownCountry] = Field(
        default_factory=list,
        description="Countries whose events are domestic (the `domestic` fact).",
    )
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _drop_extension_keys(cls, data: Any) -> Any:
        # As in docker compose, top-level `x-…` keys hold YAML anchors for reuse in rules.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data

    @model_validator(mode="after")
    def _unique_rule_names(self) -> Criteria:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
        return self


def load_criteria(path: Path) -> Criteria:
    """Read and validate a criteria file; raise ConfigError naming file:line:column."""
    return load_yaml_model(path, Criteria)


def operand_key(fact: str, operand: str) -> str:
    """Name an operand in sentences and reason values, e.g. `population_exposed_at_least`."""
    return f"{fact}_{operand}"


def sentence_names(when: Conditions) -> set[str]:
    """Every name a rule's sentence may use: facts, display values and its own operands."""
    names = set(FACTS) | set(DISPLAY_ONLY)
    for fact, test in when.tests().items():
        names.update(operand_key(fact, op) for op in test.operands())
    return names


def display_operand(value: Any) -> Any:
    """Show an operand as a sentence would: whole numbers without `.0`, lists joined."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return ", ".join(str(display_operand(v)) for v in value)
    if isinstance(value, StrEnum):
        return (
            value.value.capitalize()
            if value.value in ("green", "yellow", "orange", "red")
            else value.value
        )
    return value


_SAMPLE_DISPLAY: dict[str, Any] = {
    "hazard": "EQ",
    "alert_level": "Red",
    "episode_alert_level": "Orange",
    "alert_score": 2.5,
    "severity": "7.4 M",
    "population_exposed": 2_100_000,
    "deaths": 120,
    "displaced": 2_400,
    "affected": 30_000,
    "countries": "PHL",
    "country_unresolved": "no",
    "countries_found_by": "name",
    "place_evidence": "Philippines (from the name 'Philippines, China')",
    "regions": "Asia, South-eastern Asia",
    "income": "lower-middle",
    "priority_region": "yes",
    "domestic": "no",
    "members_present": 2,
    "source_count": 2,
    "sources": "gdacs, reliefweb",
    "reliefweb_status": "alert",
    "is_current": "yes",
    "pager_alert": "Orange",
    "pager_fatality_alert": "Orange",
    "pager_economic_alert": "Yellow",
    "pager_reviewed": "no",
    "pager_pending": "no",
    "pager_review": "automatic, not yet reviewed",
    "pager_review_ja": "自動推定（未確認）",
    "usgs_status_ja": "自動決定（未確認）",
    "max_mmi": 8.1,
    "tsunami": "no",
    "significance": 1_200,
    "usgs_status": "automatic",
    "title": "Red earthquake alert",
    "hazard_name": "earthquake",
    "country_names": "Philippines",
    "severity_value": 7.4,
    "severity_unit": "M",
    "severity_text": "Magnitude 7.4M",
    "members": "Org A, Org B",
    "matched_regions": "South-eastern Asia",
}


def sample_values(when: Conditions) -> dict[str, Any]:
    """Values of the right types to dry-render a sentence at load time."""
    values = dict(_SAMPLE_DISPLAY)
    for fact, test in when.tests().items():
        for op, operand in test.operands().items():
            values[operand_key(fact, op)] = display_operand(operand)
    return values
