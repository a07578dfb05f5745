"""`standby fetch`: the normalised events of one document, or a one-line error and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from tests.unit.ingester.corpus import gdacs_collection, gdacs_feature, good_rss, rss, rss_item

runner = CliRunner()


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "rss.xml"
    path.write_bytes(rss(rss_item(9001), rss_item(9002, alert="Orange")))
    return path


def test_fetch_prints_one_json_object_per_event_in_jsonl(saved: Path) -> None:
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(saved), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [json.loads(line)["source_id"] for line in lines] == ["EQ:9001", "EQ:9002"]
    assert json.loads(lines[1])["alert_level"] == "orange"


def test_fetch_prints_a_table_by_default(saved: Path) -> None:
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(saved)])
    assert result.exit_code == 0, result.output
    header, first, second = result.stdout.strip().splitlines()
    assert header.split()[:4] == ["SOURCE", "ID", "VERSION", "TYPE"]
    assert first.split()[:4] == ["EQ:9001", "1", "EQ", "red"]
    assert "2,114,000" in first and "orange" in second


def test_fetch_reads_gdacs_json_too(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(gdacs_collection(gdacs_feature(77)))
    result = runner.invoke(app, ["fetch", "gdacs-api", "--file", str(path), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source_id"] == "FL:77"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>Service Unavailable</body></html>", "not_a_feed"),
        (b"", "empty"),
        (good_rss(1)[:300], "malformed"),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>', "unsafe_xml"),
    ],
)
def test_an_unreadable_document_gets_a_one_line_error_and_exit_1(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    path = tmp_path / "doc"
    path.write_bytes(body)
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {reason}: {path}")
    assert "Traceback" not in result.output


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(tmp_path / "nope.xml")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unreachable_url_is_an_error_not_a_traceback() -> None:
    result = runner.invoke(app, ["fetch", "gdacs", "--url", "http://127.0.0.1:9/rss.xml"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: connection:")


def test_refused_items_are_reported_on_stderr_and_the_rest_printed(tmp_path: Path) -> None:
    path = tmp_path / "rss.xml"
    path.write_bytes(rss(rss_item(1), rss_item(2, fromdate="never", pubdate="never")))
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(path), "-f", "jsonl"])
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 1
    assert "1 item(s) refused ({'bad_date': 1})" in result.stderr


def test_fetch_shows_a_usgs_feed_with_pager_level_and_review_status(real_captures: Path) -> None:
    saved = (
        real_captures
        / "usgs"
        / ("usgs_summary_significant-month_2023-10-11_NaseemaO-Leaflet-Earthquakes-dashboard.json")
    )
    result = runner.invoke(app, ["fetch", "usgs", "--file", str(saved)])
    assert result.exit_code == 0, result.output
    _, first, *rest = result.stdout.strip().splitlines()
    assert first.split()[:5] == ["us6000len8", "1697054252893", "EQ", "red/reviewed", "AFG"]
    assert len(rest) == 17
