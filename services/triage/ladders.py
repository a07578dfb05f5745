"""Ladders of thresholds on one fact, and the bands between their rungs that no rule covers.

A criteria file often grades one number in steps (`population_exposed` 100,000–999,999 at
watch, ≥ 1,000,000 at standby). Editing one step can leave a band between two rungs in
which nothing fires: valid YAML, a silent hole in the policy. `standby check-config` warns.
"""

from __future__ import annotations

from collections import defaultdict

from services.triage.conditions import CountTest, NumberTest, SeverityTest
from services.triage.criteria import Criteria, Effect


def ladder_gaps(criteria: Criteria) -> list[str]:
    """Describe every band between two rungs of a ladder that no raising rule covers."""
    # A ladder: rules that test one fact and otherwise the same conditions.
    ladders: dict[tuple[str, str, str], list[tuple[float, float, str]]] = defaultdict(list)
    whole: dict[tuple[str, str, str], bool] = {}
    for rule in criteria.rules:
        if rule.effect is not Effect.RAISE:
            continue
        tests = rule.when.tests()
        for fact, test in tests.items():
            if not isinstance(test, NumberTest):
                continue
            unit = test.unit.casefold() if isinstance(test, SeverityTest) else ""
            others = repr(sorted((f, repr(t)) for f, t in tests.items() if f != fact))
            low = test.at_least if test.at_least is not None else float("-inf")
            high = test.at_most if test.at_most is not None else float("inf")
            ladders[(fact, unit, others)].append((low, high, rule.name))
            whole[(fact, unit, others)] = isinstance(test, CountTest)
    warnings: list[str] = []
    for (fact, unit, others), rungs in sorted(ladders.items()):
        if len(rungs) < 2:
            continue
        step = 1.0 if whole[(fact, unit, others)] else 0.0
        rungs.sort()
        covered_to, below = rungs[0][1], rungs[0][2]
        for low, high, name in rungs[1:]:
            if low > covered_to + step:
                first = covered_to + step if step else covered_to
                last = low - step if step else low
                shown = f"{fact}{f' ({unit})' if unit else ''}"
                warnings.append(
                    f"{shown}: no rule covers {_number(first)}–{_number(last)} "
                    f"(between rule {below!r} and rule {name!r})"
                )
            if high > covered_to:
                covered_to, below = high, name
    return warnings


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"
