"""Score an incident's facts against the criteria: a level, a 0-100 score and the reasons why."""

from __future__ import annotations

import string
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.activations import Level, Reason
from services.triage.conditions import Check, Test
from services.triage.criteria import Criteria, Effect, Rule, operand_key
from services.triage.facts import FactContext, display_values, json_value

NO_CRITERION = "no-criterion-met"
_NO_CRITERION_SENTENCE = "No criterion met: {hazard_name} in {country_names}"
_NO_CRITERION_ALERT = ", source alert level {alert_level}"


@dataclass(frozen=True, slots=True)
class Decision:
    """A level, a score and at least one reason: a decision without reasons cannot exist."""

    level: Level
    score: float
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("a decision needs at least one reason")
        if not 0 <= self.score <= 100:
            raise ValueError(f"score {self.score} outside 0-100")

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(r.rule for r in self.reasons)


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    when: tuple[tuple[str, Check], ...]
    unless: tuple[tuple[str, Check], ...]
    operands: dict[str, Any]
    display_operands: dict[str, Any]


class RuleBook:
    """Criteria compiled for speed: the tests of each rule in a flat tuple."""

    def __init__(self, criteria: Criteria, context: FactContext) -> None:
        from services.triage.criteria import display_operand

        self.criteria = criteria
        self.context = context
        self._rules: list[_Compiled] = []
        self._quiet: dict[tuple[Any, ...], Decision] = {}
        for rule in criteria.rules:
            operands: dict[str, Any] = {}
            for fact, test in rule.when.tests().items():
                for op, value in test.operands().items():
                    operands[operand_key(fact, op)] = value
            self._rules.append(
                _Compiled(
                    rule=rule,
                    when=_compiled(rule.when.tests()),
                    unless=_compiled(rule.unless.tests()) if rule.unless else (),
                    operands={k: json_value(v) for k, v in operands.items()},
                    display_operands={k: display_operand(v) for k, v in operands.items()},
                )
            )

    def decide(self, facts: dict[str, Any]) -> Decision:
        """Apply every rule to the facts: the highest raise, held down by the lowest cap that binds."""
        fired = [
            c
            for c in self._rules
            if _holds(c.when, facts) and not (c.unless and _holds(c.unless, facts))
        ]
        display = display_values(facts, self.context)
        raised = [c for c in fired if c.rule.effect is Effect.RAISE]
        level = max((c.rule.level for c in raised), default=Level.NONE)
        # A cap counts (and explains) only when it holds the recommendation down.
        caps = [c for c in fired if c.rule.effect is Effect.CAP and c.rule.level < level]
        ceiling = min((c.rule.level for c in caps), default=level)
        applied = raised + caps
        if not applied:
            return self._no_criterion(facts, display)
        points = 0.0
        reasons = []
        for c in applied:
            rule = c.rule
            points += rule.weight
            values = {fact: json_value(facts[fact]) for fact, _ in c.when}
            values.update(c.operands)
            sentence = render(rule.sentence, ChainMap(c.display_operands, display))
            # Built without re-validation: every field is valid by construction (rule names
            # and levels were validated at load; a sentence that renders empty says the rule).
            reasons.append(
                Reason.model_construct(
                    rule=rule.name,
                    sentence=sentence.strip() or rule.name,
                    level=rule.level,
                    weight=rule.weight,
                    values=values,
                )
            )
        return Decision(min(level, ceiling), max(0.0, min(100.0, points)), tuple(reasons))

    def _no_criterion(self, facts: dict[str, Any], display: Mapping[str, Any]) -> Decision:
        # Most reports meet no criterion, and they say the same few things: reuse the decision.
        key = (facts["hazard"], facts["countries"], facts["alert_level"])
        decision = self._quiet.get(key)
        if decision is None:
            sentence = render(
                _NO_CRITERION_SENTENCE + (_NO_CRITERION_ALERT if facts["alert_level"] else ""),
                display,
            )
            reason = Reason(
                rule=NO_CRITERION,
                sentence=sentence,
                level=Level.NONE,
                values={"hazard": facts["hazard"].value, "countries": sorted(facts["countries"])},
            )
            decision = Decision(Level.NONE, 0.0, (reason,))
            if len(self._quiet) < 10_000:
                self._quiet[key] = decision
        return decision


# Cheap, selective facts first: most reports fail a rule on its first test.
_ORDER = {
    name: i
    for i, name in enumerate(
        ("alert_level", "hazard", "domestic", "reliefweb_status", "source_count", "members_present")
    )
}


def _compiled(tests: dict[str, Test]) -> tuple[tuple[str, Check], ...]:
    ordered = sorted(tests.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER)))
    return tuple((fact, test.compile()) for fact, test in ordered)


def _holds(checks: tuple[tuple[str, Check], ...], facts: dict[str, Any]) -> bool:
    # A plain loop: all() over a generator costs a frame per rule on the hot path.
    for fact, check in checks:  # noqa: SIM110
        if not check(facts[fact]):
            return False
    return True


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a sentence; a value of an unexpected type is shown plainly rather than failing."""
    try:
        return template.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        parts = []
        for literal, field, _, _ in string.Formatter().parse(template):
            parts.append(literal)
            if field is not None:
                name = field.split(".", 1)[0].split("[", 1)[0]
                try:
                    parts.append(str(values[name]))
                except KeyError:
                    parts.append(field)
        return "".join(parts)
