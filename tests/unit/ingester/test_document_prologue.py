"""What tools that save feeds put before the first markup is removed, counted, and the rest read.

Each case is a real capture (GDACS's RSS starts with a byte-order mark) with its prologue
rewritten as such tools leave it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.ingester.sources import DocumentRepair, read_document
from tests.conftest import REAL_CAPTURES

RSS = REAL_CAPTURES / "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_test-fixture-1.xml"
RELIEFWEB = REAL_CAPTURES / "reliefweb/reliefweb_v1_disaster-25466_ocha-hdx-scraper-reliefweb.json"
BOM = b"\xef\xbb\xbf"
REENCODED_BOM = bytes.fromhex("c3afc2bbc2bf")
RSS_IDS = ["DR:1013588", "DR:1013682", "EQ:1199929", "TC:1000643"]


def rss_without_bom() -> bytes:
    data = RSS.read_bytes()
    assert data.startswith(BOM + b"<?xml")
    return data[len(BOM) :]


PROLOGUES = [
    ("as-served", BOM, [DocumentRepair.BOM]),
    ("re-encoded-bom", REENCODED_BOM, [DocumentRepair.REENCODED_BOM]),
    ("blank-lines", b"\r\n  \n", [DocumentRepair.LEADING_WHITESPACE]),
    ("blanks-then-bom", b"\n" + BOM, [DocumentRepair.LEADING_WHITESPACE, DocumentRepair.BOM]),
    ("re-encoded-twice", REENCODED_BOM + REENCODED_BOM, [DocumentRepair.REENCODED_BOM]),
    ("none", b"", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("prologue", "repairs"), [p[1:] for p in PROLOGUES], ids=[p[0] for p in PROLOGUES]
)
def test_the_prologue_is_removed_named_and_every_item_read(
    prologue: bytes, repairs: list[DocumentRepair]
) -> None:
    result = read_document(prologue + rss_without_bom())
    assert result.repairs == repairs
    assert sorted(e.source_id for e in result.events) == RSS_IDS
    assert not result.rejections


def test_a_re_encoded_bom_before_json_is_removed_too() -> None:
    result = read_document(REENCODED_BOM + RELIEFWEB.read_bytes())
    assert result.repairs == [DocumentRepair.REENCODED_BOM]
    assert [e.source_id for e in result.events] == ["25466"]


def test_blanks_before_a_root_element_or_json_are_legal_and_not_counted() -> None:
    body = rss_without_bom().split(b"?>", 1)[1]  # no XML declaration: blanks may precede <rss>
    assert body.lstrip().startswith(b"<rss")
    assert read_document(b"\n\n" + body.lstrip()).repairs == []
    assert read_document(b"\n " + RELIEFWEB.read_bytes()).repairs == []


def test_a_document_that_is_only_a_prologue_is_still_empty() -> None:
    from services.common.errors import SourceError

    with pytest.raises(SourceError) as raised:
        read_document(REENCODED_BOM + b"\r\n")
    assert raised.value.reason == "empty"


runner = CliRunner()


def test_standby_fetch_reads_a_re_encoded_bom_and_says_what_it_removed(tmp_path: Path) -> None:
    saved = tmp_path / "rss.xml"
    saved.write_bytes(REENCODED_BOM + rss_without_bom())
    result = runner.invoke(app, ["fetch", "gdacs", "--file", str(saved), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(line)["source_id"] for line in result.stdout.splitlines()) == RSS_IDS
    assert "removed before the first markup: reencoded_bom" in result.stderr


@pytest.fixture
def members(tmp_path: Path) -> Path:
    path = tmp_path / "members.yaml"
    path.write_text("organisations: []\n", encoding="utf-8")
    return path


def backtest(folder: Path, members: Path) -> list[str]:
    from tests.unit.triage.builders import SHIPPED_CRITERIA

    return [
        "backtest",
        str(folder),
        "--format",
        "jsonl",
        "--criteria",
        str(SHIPPED_CRITERIA),
        "--members",
        str(members),
    ]


def test_the_backtest_reads_each_prologue_and_notes_it(tmp_path: Path, members: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    for name, prologue, _ in PROLOGUES[1:3]:
        (folder / f"{name}.xml").write_bytes(prologue + rss_without_bom())
    result = runner.invoke(app, backtest(folder, members))
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stderr
    assert "reencoded_bom: " in result.stderr and "leading_whitespace: " in result.stderr
    events = [json.loads(line)["event"] for line in result.stdout.splitlines()]
    assert len(events) == 2 * len(RSS_IDS)


def test_the_backtest_fails_when_every_document_was_skipped(tmp_path: Path, members: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "page.xml").write_bytes(b"<html><body>Service Unavailable</body></html>")
    (folder / "broken.json").write_bytes(b"{not json")
    result = runner.invoke(app, backtest(folder, members))
    assert result.exit_code == 2
    assert "none of the 2 document(s) could be read" in result.stderr
    assert result.stdout == ""
