"""The activation page's map reads the member directory, and does without one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from schemas.members import Language
from services.duty.console.maps import activation_map, member_directory
from tests.messages import red_quake_activation

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml"
# A red quake in the Philippines, where the example's NGOs are present.
QUAKE = red_quake_activation(datetime(2026, 11, 28, 3, 0, tzinfo=UTC)).summary


def test_an_unreadable_directory_leaves_the_map_with_the_incident_alone(tmp_path: Path) -> None:
    broken = tmp_path / "members.yaml"
    broken.write_text("organisations: [{id: NOT A SLUG}]\n", encoding="utf-8")
    for path in (broken, tmp_path / "missing.yaml"):
        directory = member_directory(path)()
        assert directory.organisations == []
        drawn = activation_map(QUAKE, directory, "en")
        assert 'data-testid="epicentre"' in drawn.svg and 'data-testid="presence"' not in drawn.svg


def test_the_directory_edited_on_disk_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    current = member_directory(path)
    assert len(current().organisations) > 1
    path.write_text("organisations: []\n", encoding="utf-8")
    assert current().organisations == []
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    drawn = activation_map(QUAKE, current(), Language.JA.value)
    assert 'data-testid="presence" data-iso3="PHL"' in drawn.svg and "フィリピン" in drawn.svg
