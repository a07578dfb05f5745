"""Backtest throughput: normalised reports → incident merge → decision, on one core (target ≥ 20,000/s).

The history is generated (benchmarks/synthetic.py): 100,000 reports of disasters with
the imperfections of the real feeds, in time order, decided with the shipped criteria. The
baseline, measured in the same run on the same reports, is decoding each report from its
wire JSON with pydantic: the least a consumer of hazards.v1 does per message. The ratio says
what fraction of that floor's speed the whole engine keeps. Rates are per CPU second of this
process (one core's work), so other load on the machine does not distort them much; the
wall-clock rate is printed beside.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.synthetic import generate_history, pair_scores
from schemas.hazards import HazardEvent
from services.triage.backtest import in_time_order, replay
from services.triage.criteria import load_criteria

_CRITERIA = Path(__file__).resolve().parents[1] / "deploy" / "criteria.yaml"
_EVENTS = 100_000
_TARGET = 20_000
_REPEATS = 3


def _timed(run: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Time runs in CPU seconds of this process (what one core spent) and in wall seconds."""
    cpu, wall = [], []
    for _ in range(_REPEATS):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return cpu, wall


def main() -> None:
    """Measure events/s through the engine against pydantic decoding of the same events."""
    history = generate_history(_EVENTS, seed=7)
    events = in_time_order(history.events)
    wire = [e.model_dump_json() for e in events]
    criteria = load_criteria(_CRITERIA)
    # The history is long-lived: keep the collector from re-walking it on every run.
    gc.freeze()

    def decode() -> None:
        for payload in wire:
            HazardEvent.model_validate_json(payload)

    def decide() -> None:
        for _ in replay(events, criteria):
            pass

    base, _ = _timed(decode)
    ours, ours_wall = _timed(decide)
    gc.unfreeze()
    base_rate = len(events) / statistics.median(base)
    rate = len(events) / statistics.median(ours)
    best = len(events) / min(ours)
    wall_rate = len(events) / statistics.median(ours_wall)
    levels: dict[str, int] = {}
    predicted = {}
    for outcome in replay(events, criteria):
        levels[outcome.decision.level.value] = levels.get(outcome.decision.level.value, 0) + 1
        predicted[outcome.event.key] = outcome.incident.id
    print(
        f"{len(events):,} generated reports, {len(history.truth):,} source events, shipped criteria"
    )
    print(f"baseline  pydantic decode of hazards.v1 JSON   {base_rate:>9,.0f} events/s (CPU)")
    print(
        f"triage    merge + decide (median of {_REPEATS})       {rate:>9,.0f} events/s (CPU; "
        f"best {best:,.0f}; wall {wall_rate:,.0f})  ratio {rate / base_rate:.2f}x of the baseline"
    )
    verdict = "meets" if rate >= _TARGET else "MISSES"
    print(f"target    ≥ {_TARGET:,} events/s on one core: {verdict}")
    print(
        "decisions "
        + ", ".join(f"{k} {levels.get(k, 0):,}" for k in ("none", "watch", "standby", "activate"))
    )
    print(f"merge     {pair_scores(predicted, history.truth)}")
