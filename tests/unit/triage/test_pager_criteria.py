"""Criteria on PAGER's impact estimate: levels, review status in the reasons, upgrades in order."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardEvent, Pager, PagerLevel, Source
from services.common.errors import ConfigError
from services.ingester.sources import read_document
from services.ingester.sources.usgs import losspager_versions
from services.triage.backtest import replay
from services.triage.criteria import load_criteria
from tests.files import written
from tests.unit.triage.builders import T0, report, shipped

HOKKAIDO = (
    "usgs/usgs_detail_us2000h8ty-Hokkaido-M6.6-orange-superseded_2018-09-05_usgs-libcomcat.json"
)
TIBET = "usgs/usgs_detail_us6000pi9w-Tibet-M7.1-red_2025-01-07_IFRCGo-pystac-monty.json"


def quake(
    pager: Pager, *, version: str = "1", countries: tuple[str, ...] = ("PHL",)
) -> HazardEvent:
    return report(
        "us7000abcd", source=Source.USGS, version=version, alert=None, countries=countries,
        severity=(6.4, "M"), status="reviewed", extras={"ids": ["us7000abcd"]},
    ).model_copy(update={"pager": pager})  # fmt: skip


def test_hokkaidos_eleven_pager_versions_are_upgrades_in_order(real_captures: Path) -> None:
    # Hokkaido's real PAGER history, on a quake in the Philippines (not domestic, lower-middle
    # income): green, green, yellow, yellow, pending, orange x6.
    detail = json.loads((real_captures / HOKKAIDO).read_bytes())
    versions = [quake(p, version=str(t)) for t, p in losspager_versions(detail)]
    outcomes = list(replay(versions, shipped()))
    assert [o.decision.level for o in outcomes] == (
        [Level.NONE] * 2 + [Level.WATCH] * 2 + [Level.NONE] + [Level.STANDBY] * 6
    )
    told = [(o.activation.previous_level, o.activation.level) for o in outcomes if o.activation]
    assert told == [(Level.NONE, Level.WATCH), (Level.WATCH, Level.STANDBY)]
    assert "pager-orange" in outcomes[-1].decision.rules


def test_a_red_automatic_estimate_activates_and_says_it_is_automatic(real_captures: Path) -> None:
    (tibet,) = read_document((real_captures / TIBET).read_bytes()).events
    assert tibet.pager is not None and tibet.pager.reviewed is False
    in_nepal = tibet.model_copy(update={"countries": ["NPL"], "places": []})
    (outcome,) = replay([in_nepal], shipped())
    assert outcome.decision.level is Level.ACTIVATE
    (reason,) = [r for r in outcome.decision.reasons if r.rule == "pager-red"]
    assert "USGS PAGER alert Red, automatic, not yet reviewed" in reason.sentence
    assert reason.sentence_ja is not None and "自動推定（未確認）" in reason.sentence_ja
    # China leads its own response: held at standby for the duty officer.
    (in_china,) = replay([tibet], shipped())
    assert in_china.decision.level is Level.STANDBY and "middle-capacity" in in_china.decision.rules


def test_deaths_at_orange_where_coping_is_limited_activate_when_reviewed() -> None:
    pager = Pager(
        alert=PagerLevel.ORANGE, fatality_alert=PagerLevel.ORANGE,
        economic_alert=PagerLevel.YELLOW, reviewed=True,
    )  # fmt: skip
    (outcome,) = replay([quake(pager, countries=("AFG",))], shipped())
    assert outcome.decision.level is Level.ACTIVATE
    sentences = " ".join(r.sentence for r in outcome.decision.reasons)
    assert (
        "deaths at level Orange (reviewed by a seismologist) in Afghanistan, low income"
        in sentences
    )


def test_a_deleted_usgs_event_counts_for_nothing() -> None:
    red = quake(Pager(alert=PagerLevel.RED))
    deleted = red.model_copy(update={"version": "2", "status": "deleted"})
    first, second = replay([red, deleted], shipped())
    assert first.decision.level is Level.ACTIVATE
    assert second.decision.level is Level.NONE
    # Members were told: they are told it was withdrawn (decision 0306).
    assert second.activation is not None and second.activation.retracted


def test_usgs_then_gdacs_one_alert_and_the_reasons_name_both_sources() -> None:
    usgs = quake(Pager(alert=PagerLevel.ORANGE, reviewed=False), countries=("AFG",))
    gdacs = report(
        "EQ:1400001", countries=("AFG",), alert=AlertLevel.RED,
        severity=(6.3, "M"), at=T0 + timedelta(seconds=5),
    )  # fmt: skip
    first, second = replay([usgs, gdacs], shipped())
    assert first.incident is second.incident
    assert first.activation is not None and first.activation.level is Level.STANDBY
    assert second.activation is not None and second.activation.level is Level.ACTIVATE
    assert second.activation.previous_level is Level.STANDBY  # an upgrade, not a second alert
    corroborated = next(r for r in second.decision.reasons if r.rule == "corroborated")
    assert "(gdacs, usgs)" in corroborated.sentence


def test_check_config_knows_the_pager_facts(tmp_path: Path) -> None:
    good = written(
        tmp_path / "good.yaml",
        "rules:\n  - name: p\n    level: watch\n    when:\n      pager_fatality_alert: {at_least: yellow}\n"
        "      pager_reviewed: true\n      max_mmi: {at_least: 7}\n      tsunami: false\n"
        '    sentence: "PAGER {pager_fatality_alert} ({pager_review}), MMI {max_mmi}"\n',
    )
    assert load_criteria(good).rules[0].name == "p"
    bad = written(
        tmp_path / "bad.yaml",
        "rules:\n  - name: p\n    level: watch\n    when:\n      pager_alert: {at_least: purple}\n"
        '    sentence: "x"\n',
    )
    with pytest.raises(ConfigError, match="pager_alert"):
        load_criteria(bad)
