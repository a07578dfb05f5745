"""Score an incident's facts against the criteria: a level, a 0-100 score and the reasons why."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.activations import Level, Reason
from schemas.hazards import AlertLevel
from services.triage.conditions import Check, Test
from services.triage.criteria import Criteria, Effect, Rule, operand_key
from services.triage.facts import FactContext, display_values, json_value

NO_CRITERION = "no-criterion-met"
_NO_CRITERION_SENTENCE = "No criterion met: {hazard_name} in {country_names}"
_NO_CRITERION_JA = "基準に該当なし（{country_names}、{hazard_name}）"
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
    cap: bool
    rank: int
    facts: tuple[str, ...]
    when: tuple[tuple[str, Check], ...]
    unless: tuple[tuple[str, Check], ...]
    operands: dict[str, Any]
    display_operands: dict[str, Any]


_ALERTS: tuple[AlertLevel | None, ...] = (None, *AlertLevel)
# Facts most reports lack (or have false) are tested first, so most rules fail on one test.
_RARE = {"deaths": 0, "displaced": 0, "affected": 0, "country_unresolved": 0, "domestic": 0,
         "reliefweb_status": 1, "members_present": 1, "source_count": 1, "severity": 2,
         "population_exposed": 2, "priority_region": 3, "pager_alert": 0,
         "pager_fatality_alert": 0, "pager_economic_alert": 0, "pager_reviewed": 0,
         "pager_pending": 0, "max_mmi": 0, "tsunami": 0, "significance": 0,
         "usgs_status": 0}  # fmt: skip


def _first(test: tuple[str, Check]) -> int:
    return _RARE.get(test[0], 5)


_RANK = {level: level.rank for level in Level}
_LEVELS = {level.rank: level for level in Level}


class RuleBook:
    """Criteria compiled for speed: rules sorted by the source alert level they can fire at."""

    def __init__(self, criteria: Criteria, context: FactContext) -> None:
        self.criteria = criteria
        self.context = context
        self._quiet: dict[tuple[Any, ...], Decision] = {}
        compiled = [_compile(rule) for rule in criteria.rules]
        # Most rules test the alert level first: settle that test once per level, here.
        self._by_alert: dict[
            AlertLevel | None, list[tuple[_Compiled, tuple[tuple[str, Check], ...]]]
        ] = {
            alert: [
                (c, tuple(sorted(((f, k) for f, k in c.when if f != "alert_level"), key=_first)))
                # Raising rules first: a cap is only tested when the level they reach could
                # be held down by it (most reports reach no level, and test no cap at all).
                for c in sorted(compiled, key=lambda c: c.cap)
                if all(check(alert) for f, check in c.when if f == "alert_level")
            ]
            for alert in _ALERTS
        }

    def decide(self, facts: dict[str, Any]) -> Decision:
        """Apply every rule to the facts: the highest raise, held down by the lowest cap that binds."""
        fired: list[_Compiled] = []
        reached = 0
        # Plain loops: this runs for every report, and generators cost a frame per rule.
        for c, checks in self._by_alert[facts["alert_level"]]:
            if c.cap and c.rank >= reached:
                continue
            for fact, check in checks:
                if not check(facts[fact]):
                    break
            else:
                if c.unless:
                    for fact, check in c.unless:
                        if not check(facts[fact]):
                            break
                    else:
                        continue
                fired.append(c)
                if not c.cap and c.rank > reached:
                    reached = c.rank
        display = display_values(facts, self.context)
        raised = [c for c in fired if not c.cap]
        level = max((c.rank for c in raised), default=0)
        # A cap counts (and explains) only when it holds the recommendation down.
        caps = [c for c in fired if c.cap and c.rank < level]
        ceiling = min((c.rank for c in caps), default=level)
        applied = raised + caps
        if not applied:
            return self._no_criterion(facts, display)
        points = 0.0
        reasons = []
        for c in applied:
            rule = c.rule
            points += rule.weight
            values = {fact: json_value(facts[fact]) for fact in c.facts}
            values.update(c.operands)
            # A sentence names only its own rule's operands (checked at load), so one shared
            # mapping serves every rule in turn.
            display.update(c.display_operands)
            sentence = render(rule.sentence, display)
            sentence_ja = render(rule.sentence_ja, display).strip() if rule.sentence_ja else None
            # Built without re-validation: every field is valid by construction (rule names
            # and levels were validated at load; a sentence that renders empty says the rule).
            reasons.append(
                Reason.model_construct(
                    rule=rule.name,
                    sentence=sentence.strip() or rule.name,
                    sentence_ja=sentence_ja or None,
                    level=rule.level,
                    weight=rule.weight,
                    values=values,
                )
            )
        return Decision(_LEVELS[min(level, ceiling)], max(0.0, min(100.0, points)), tuple(reasons))

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
                sentence_ja=render(_NO_CRITERION_JA, display),
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


def _compile(rule: Rule) -> _Compiled:
    from services.triage.criteria import display_operand

    operands: dict[str, Any] = {}
    for fact, test in rule.when.tests().items():
        for op, value in test.operands().items():
            operands[operand_key(fact, op)] = value
    return _Compiled(
        rule=rule,
        cap=rule.effect is Effect.CAP,
        rank=_RANK[rule.level],
        facts=tuple(rule.when.tests()),
        when=_compiled(rule.when.tests()),
        unless=_compiled(rule.unless.tests()) if rule.unless else (),
        operands={k: json_value(v) for k, v in operands.items()},
        display_operands={k: display_operand(v) for k, v in operands.items()},
    )


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
