"""Score an incident's facts against the criteria: a level, a 0-100 score and the reasons why."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from schemas.activations import Level, Reason
from services.triage.conditions import Test
from services.triage.criteria import Criteria, Effect, Rule, operand_key
from services.triage.facts import FactContext, display_values, json_value

NO_CRITERION = "no-criterion-met"
_NO_CRITERION_SENTENCE = (
    "No criterion met: {hazard_name} in {country_names}, source alert level {alert_level}"
)


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
    when: tuple[tuple[str, Test], ...]
    unless: tuple[tuple[str, Test], ...]
    operands: dict[str, Any]
    display_operands: dict[str, Any]


class RuleBook:
    """Criteria compiled for speed: the tests of each rule in a flat tuple."""

    def __init__(self, criteria: Criteria, context: FactContext) -> None:
        from services.triage.criteria import display_operand

        self.criteria = criteria
        self.context = context
        self._rules: list[_Compiled] = []
        for rule in criteria.rules:
            operands: dict[str, Any] = {}
            for fact, test in rule.when.tests().items():
                for op, value in test.operands().items():
                    operands[operand_key(fact, op)] = value
            self._rules.append(
                _Compiled(
                    rule=rule,
                    when=tuple(rule.when.tests().items()),
                    unless=tuple(rule.unless.tests().items()) if rule.unless else (),
                    operands={k: json_value(v) for k, v in operands.items()},
                    display_operands={k: display_operand(v) for k, v in operands.items()},
                )
            )

    def decide(self, facts: dict[str, Any]) -> Decision:
        """Apply every rule to the facts: the highest raise, held down by the lowest cap that binds."""
        fired = [
            c
            for c in self._rules
            if all(test.check(facts[fact]) for fact, test in c.when)
            and not (c.unless and all(test.check(facts[fact]) for fact, test in c.unless))
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
            reasons.append(
                Reason(
                    rule=rule.name,
                    sentence=render(rule.sentence, {**display, **c.display_operands}),
                    level=rule.level,
                    weight=rule.weight,
                    values=values,
                )
            )
        return Decision(min(level, ceiling), max(0.0, min(100.0, points)), tuple(reasons))

    @staticmethod
    def _no_criterion(facts: dict[str, Any], display: dict[str, Any]) -> Decision:
        reason = Reason(
            rule=NO_CRITERION,
            sentence=render(_NO_CRITERION_SENTENCE, display),
            level=Level.NONE,
            values={"hazard": facts["hazard"].value, "countries": sorted(facts["countries"])},
        )
        return Decision(Level.NONE, 0.0, (reason,))


def render(template: str, values: dict[str, Any]) -> str:
    """Fill a sentence; a value of an unexpected type is shown plainly rather than failing."""
    try:
        return template.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        parts = []
        for literal, field, _, _ in string.Formatter().parse(template):
            parts.append(literal)
            if field is not None:
                parts.append(str(values.get(field.split(".", 1)[0].split("[", 1)[0], field)))
        return "".join(parts)
