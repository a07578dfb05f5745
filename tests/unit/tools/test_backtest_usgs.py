"""`standby backtest` on saved USGS documents: read, keyed and decided like the service does;
a document nothing reads is named, and nothing read at all is a failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from tests.unit.triage.builders import SHIPPED_CRITERIA

runner = CliRunner()
USGS = "usgs"
PAIR = (
    "usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json",
    "usgs_summary_all-day_2025-05-04T1423Z_Sudo-Ivan-usgs-data.json",
)
DETAILS = (
    "usgs_detail_official20110311-Tohoku-M9.1-superseded-DELETE-products_2011-03-11_usgs-libcomcat.json",
    "usgs_detail_us1000778i-Kaikoura-M7.8-orange_2016-11-13_usgs-libcomcat.json",
    "usgs_detail_us2000h8ty-Hokkaido-M6.6-orange-superseded_2018-09-05_usgs-libcomcat.json",
    "usgs_detail_us6000pi9w-Tibet-M7.1-red_2025-01-07_IFRCGo-pystac-monty.json",
)
EXPECTATIONS = SHIPPED_CRITERIA.parent / "expectations.example.csv"
ALERTS = "usgs_pager-alerts_us2000h8ty-v1541539345392_2018-11-06_usgs-libcomcat.json"


@pytest.fixture
def members(tmp_path: Path) -> Path:
    path = tmp_path / "members.yaml"
    path.write_text("organisations: []\n", encoding="utf-8")
    return path


def saved(real_captures: Path, tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    for name in names:
        shutil.copy(real_captures / USGS / name, folder / name)
    return folder


def run(folder: Path, members: Path, *extra: str) -> object:
    return runner.invoke(
        app,
        ["backtest", str(folder), "--format", "jsonl", "--criteria", str(SHIPPED_CRITERIA),
         "--members", str(members), *extra],
    )  # fmt: skip


def test_two_usgs_summaries_are_read_as_updates_of_one_set_of_events(
    real_captures: Path, tmp_path: Path, members: Path
) -> None:
    result = run(saved(real_captures, tmp_path, *PAIR), members)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # type: ignore[attr-defined]
    assert len(lines) == 196 + 194
    # 200 distinct events across both scrapes (196 + 4 new): updates join their incident.
    assert len({line["event"] for line in lines}) == 200
    assert "390 reports from 2 documents" in result.stderr  # type: ignore[attr-defined]


def test_expect_judges_saved_usgs_documents_against_the_platforms_responses(
    real_captures: Path, tmp_path: Path, members: Path
) -> None:
    # Of the four quakes, the platform responded to Tohoku (2011) and Hokkaido (2018).
    result = run(saved(real_captures, tmp_path, *DETAILS), members, "--expect", str(EXPECTATIONS))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # type: ignore[attr-defined]
    assert sorted(line["event"] for line in lines) == [
        "usgs:official20110311054624120_30", "usgs:us1000778i", "usgs:us2000h8ty", "usgs:us6000pi9w",
    ]  # fmt: skip
    stderr = " ".join(result.stderr.split())  # type: ignore[attr-defined]
    assert "expected disasters: 28 (2 found in the replayed items)" in stderr
    assert "recall at ≥ standby: 2/2 (100%)" in stderr


def test_a_document_no_source_reads_is_named_and_nothing_read_fails(
    real_captures: Path, tmp_path: Path, members: Path
) -> None:
    folder = saved(real_captures, tmp_path, ALERTS)
    (folder / "empty.geojson").write_bytes(
        b'{"type":"FeatureCollection","metadata":{"url":"https://earthquake.usgs.gov/x"},"features":[]}'
    )
    result = run(folder, members)
    assert result.exit_code == 2
    stderr = result.stderr  # type: ignore[attr-defined]
    assert (
        f"skipped {folder / ALERTS}" in stderr.replace("\n", "") and "PAGER alerts.json" in stderr
    )
    assert "empty.geojson: no report read (a usgs-summary document with no items)" in stderr
    assert "none of the 2 document(s) could be read" in stderr


def test_the_backtest_prints_which_source_told_first_and_by_how_many_minutes(
    tmp_path: Path, members: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from services.runtime.scenario import gdacs_rss, red_earthquake, usgs_summary

    quake = red_earthquake(9_100_001, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    folder = tmp_path / "saved"
    folder.mkdir()
    # USGS posts it 12 minutes after origin, GDACS 20 (ScenarioEvent.published).
    (folder / "usgs.geojson").write_bytes(usgs_summary([quake], after=timedelta(minutes=12)))
    (folder / "gdacs.xml").write_bytes(gdacs_rss([quake]))
    result = run(folder, members)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # type: ignore[attr-defined]
    assert [line["event"].split(":")[0] for line in lines] == ["usgs", "gdacs"]
    assert lines[0]["incident_id"] == lines[1]["incident_id"]
    assert [line["broadcast"] for line in lines] == [True, True]  # standby, then the upgrade
    stderr = " ".join(result.stderr.split())  # type: ignore[attr-defined]
    assert "lead time (incidents several sources reported)" in stderr
    assert "standby usgs gdacs +8 min" in stderr
    assert "activate gdacs usgs -8 min" in stderr
    assert "usgs first at 2 level(s), median +8 min ahead" in stderr
