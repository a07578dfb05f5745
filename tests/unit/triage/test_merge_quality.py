"""Incident merge measured: on the real paired captures and on a generated history with known truth.

Precision: of the report pairs triage put in one incident, the share that are one disaster.
Recall: of the report pairs that are one disaster, the share triage put together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.synthetic import MergeScore, generate_history, pair_scores
from schemas.activations import Level
from schemas.hazards import HazardEvent, HazardType, Source
from services.tools.documents import read_events
from services.triage.backtest import find_documents, replay
from services.triage.engine import Processed
from tests.unit.triage.builders import merge_score, shipped

GDACS_STORM = re.compile(r"\b([A-Z]{3,})-\d\d\b")
RELIEFWEB_STORM = re.compile(r"(?:Typhoon|Cyclone|Hurricane|Storm|Depression)\s+([A-Z][a-z]+)")


def show(capsys: pytest.CaptureFixture[str], label: str, score: MergeScore) -> None:
    with capsys.disabled():
        print(f"\n  merge quality, {label}: {score}")


@pytest.fixture(scope="module")
def real_reports(real_captures: Path) -> list[HazardEvent]:
    documents = find_documents([real_captures / "gdacs", real_captures / "reliefweb"])
    return read_events(documents, on_error=lambda _: None)


def outcomes(events: list[HazardEvent]) -> Iterator[Processed]:
    return replay(events, shipped())


def test_two_episodes_of_the_valencia_flood_are_one_incident_told_once(
    real_captures: Path,
) -> None:
    folder = real_captures / "gdacs"
    documents = [
        folder / "gdacs_api_geteventdata_FL-1102983-ep1_red_pystac-monty.json",
        folder / "gdacs_api_getepisodedata_FL-1102983-ep2_orange_pystac-monty.json",
    ]
    red, orange = list(outcomes(read_events(documents)))
    assert red.incident is orange.incident
    # Spain copes alone with most floods: the red episode is held at standby for a human call.
    assert red.decision.level is Level.STANDBY and red.activation is not None
    assert "coping-capacity" in red.decision.rules
    assert orange.downgraded and orange.decision.level is Level.WATCH and orange.activation is None


def test_reports_sharing_a_glide_number_across_gdacs_and_reliefweb_merge(
    real_reports: list[HazardEvent],
) -> None:
    incident_of = {o.event.key: o.incident.id for o in outcomes(real_reports)}
    # Cianjur earthquake (EQ-2022-000363) and Typhoon Phanfone (TC-2019-000176).
    assert incident_of["gdacs:EQ:1347183"] == incident_of["reliefweb:51392"]
    assert incident_of["gdacs:TC:1000641"] == incident_of["reliefweb:49678"]


def test_named_cyclones_in_the_real_captures_merge_precisely(
    real_reports: list[HazardEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    # A storm's name is ground truth that no merge rule uses: GDACS `GONI-20`, ReliefWeb
    # "Typhoon Goni - Oct 2020". Most of these pairs carry no shared GLIDE number.
    predicted: dict[str, object] = {}
    truth: dict[str, object] = {}
    for outcome in outcomes(real_reports):
        event = outcome.event
        predicted[event.key] = outcome.incident.id
        if event.hazard_type is not HazardType.TROPICAL_CYCLONE:
            continue
        pattern = GDACS_STORM if event.source is Source.GDACS else RELIEFWEB_STORM
        name = pattern.search(event.title)
        if name:
            truth[event.key] = (name.group(1).upper(), event.event_time.year)
    score = pair_scores(predicted, truth)
    show(capsys, "real named cyclones (GDACS x ReliefWeb)", score)
    assert score.true_pairs == 13
    assert score.precision >= 0.85
    assert score.recall >= 0.5


def test_generated_pairs_merge_with_high_precision_and_recall(
    capsys: pytest.CaptureFixture[str],
) -> None:
    history = generate_history(20_000, seed=11)
    score = merge_score(history.events, history.truth)
    show(capsys, "20,000 generated reports", score)
    assert score.true_pairs > 500
    assert score.precision >= 0.9
    assert score.recall >= 0.8


def test_pair_scores_count_pairs_not_reports() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 2}
    assert pair_scores({"a": 1, "b": 1, "c": 2, "d": 3}, truth).recall == 0.5
    perfect = pair_scores({"a": "x", "b": "x", "c": "y", "d": "y"}, truth)
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    lumped = pair_scores({k: 0 for k in truth}, truth)
    assert lumped.precision == pytest.approx(2 / 6)
