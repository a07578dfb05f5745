"""`standby backtest`: saved feed documents through the same parsing and engine, offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.runtime.scenario import demo_events, gdacs_rss
from tests.unit.triage.builders import SHIPPED_CRITERIA

runner = CliRunner()
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

CANDIDATE = """\
# Only red alerts count: a stricter policy to compare against.
rules:
  - name: gdacs-red
    level: activate
    weight: 50
    when:
      alert_level: {at_least: red}
    sentence: "GDACS alert level {alert_level}"
"""


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "demo.xml").write_bytes(gdacs_rss(demo_events(NOW)))
    return folder


@pytest.fixture
def members(tmp_path: Path) -> Path:
    path = tmp_path / "members.yaml"
    path.write_text("organisations: []\n", encoding="utf-8")
    return path


def backtest(*args: str, members: Path) -> list[str]:
    return ["backtest", *args, "--criteria", str(SHIPPED_CRITERIA), "--members", str(members)]


def test_the_demo_scenario_activates_stands_by_and_ignores_the_green_flood(
    feeds: Path, members: Path
) -> None:
    result = runner.invoke(app, backtest(str(feeds), "--format", "jsonl", members=members))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_hazard = {line["event"].split(":")[1]: line for line in lines}
    assert [line["level"] for line in lines] == ["none", "standby", "activate"]  # in time order
    quake = by_hazard["EQ"]
    assert quake["broadcast"] is True and quake["countries"] == ["PHL"]
    assert "GDACS alert level Red" in quake["reasons"]
    assert quake["sources"] == [quake["event"]]
    assert quake["first_seen"].startswith("2026-11-23T02:35")
    assert by_hazard["TC"]["level"] == "standby" and by_hazard["TC"]["broadcast"] is True
    assert by_hazard["FL"]["broadcast"] is False
    assert "3 reports from 1 documents → 3 incidents" in result.stderr
    assert (
        "activations that would be published (marked !): watch 0, standby 1, activate 1"
        in result.stderr
    )


def test_the_table_shows_one_line_per_decision(feeds: Path, members: Path) -> None:
    result = runner.invoke(app, backtest(str(feeds / "demo.xml"), members=members))
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.startswith("first seen (UTC)")
    assert len(rows) == 3
    assert rows[2].split()[2:4] == ["activate", "75"]
    assert "Red earthquake alert" in rows[2] and "2,114,000 people exposed ≥ 1,000,000" in rows[2]


def test_broadcasts_only_leaves_out_decisions_nobody_hears_about(
    feeds: Path, members: Path
) -> None:
    result = runner.invoke(
        app, backtest(str(feeds), "--format", "jsonl", "--broadcasts-only", members=members)
    )
    assert [json.loads(line)["level"] for line in result.stdout.splitlines()] == [
        "standby",
        "activate",
    ]


def test_diff_shows_which_decisions_a_candidate_would_change(
    feeds: Path, members: Path, tmp_path: Path
) -> None:
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(CANDIDATE, encoding="utf-8")
    args = backtest(str(feeds), "--diff", str(candidate), "--format", "jsonl", members=members)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    changes = {
        json.loads(line)["event"].split(":")[1]: json.loads(line)
        for line in result.stdout.splitlines()
    }
    assert set(changes) == {"TC", "EQ"}  # the green flood decides the same either way
    assert (changes["TC"]["before"]["level"], changes["TC"]["after"]["level"]) == (
        "standby",
        "none",
    )
    assert changes["EQ"]["after"] == {
        "level": "activate",
        "score": 50.0,
        "broadcast": True,
        "rules": ["gdacs-red"],
        "reasons": ["GDACS alert level Red"],
    }
    assert "2 decisions change" in result.stderr

    table = runner.invoke(app, backtest(str(feeds), "--diff", str(candidate), members=members))
    tc_row = next(row for row in table.stdout.splitlines() if "gdacs:TC:" in row)
    assert "standby → none" in tc_row and "-orange-in-priority-region" in tc_row


def test_unreadable_documents_are_skipped_with_a_note(feeds: Path, members: Path) -> None:
    (feeds / "broken.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, backtest(str(feeds), "--format", "jsonl", members=members))
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stderr and "broken.json" in result.stderr
    assert len(result.stdout.splitlines()) == 3


def test_a_missing_path_or_a_broken_criteria_file_is_an_error(
    feeds: Path, members: Path, tmp_path: Path
) -> None:
    missing = runner.invoke(app, backtest(str(tmp_path / "nowhere"), members=members))
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(CANDIDATE.replace("weight: 50", "weight: 500"), encoding="utf-8")
    result = runner.invoke(app, backtest(str(feeds), "--diff", str(broken), members=members))
    assert result.exit_code == 2
    assert "broken.yaml:5:13: rules.0.weight" in result.stderr


def test_the_real_captures_replay_offline(real_captures: Path, members: Path) -> None:
    result = runner.invoke(app, backtest(str(real_captures), "--format", "jsonl", members=members))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) > 1000
    times = [line["event_time"] for line in lines]
    assert times[0] < times[-1]
    valencia = [line for line in lines if line["event"] == "gdacs:FL:1102983"]
    assert [(v["level"], v["broadcast"]) for v in valencia] == [("standby", True), ("watch", False)]


def test_the_backtest_prints_mails_per_member_per_year_for_each_subscription_profile(
    feeds: Path, members: Path
) -> None:
    result = runner.invoke(app, backtest(str(feeds), members=members))
    assert result.exit_code == 0, result.output
    report = result.stderr
    assert "mails per member subscribed everywhere" in report
    for profile in (
        "standby and activate at once",
        "standby in the daily digest, activate at once",
        "activate only",
    ):
        assert profile in report
