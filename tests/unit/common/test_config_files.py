"""Configuration errors name the file, the line, the column and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from schemas.members import MemberDirectory
from services.common import config_files
from services.common.config_files import load_yaml_model
from services.common.errors import ConfigError
from tests.files import written

GOOD = """\
organisations:
  - id: peace-winds
    name_ja: ピースウィンズ
    name_en: Peace Winds
    kind: ngo
    countries: [PHL]
    contacts:
      - id: tanaka
        name: 田中
        email: tanaka@example.jp
"""


def test_valid_members_file_loads(tmp_path: Path) -> None:
    directory = load_yaml_model(written(tmp_path / "members.yaml", GOOD), MemberDirectory)
    assert directory.organisations[0].contacts[0].email == "tanaka@example.jp"


def test_unknown_key_is_an_error_naming_line_column_and_field(tmp_path: Path) -> None:
    path = written(tmp_path / "members.yaml", GOOD.replace("        email:", "        emial:"))
    with pytest.raises(ConfigError) as info:
        load_yaml_model(path, MemberDirectory)
    message = str(info.value)
    assert f"{path}:10:9: organisations.0.contacts.0.emial: unknown key" in message


def test_wrong_value_points_at_the_value(tmp_path: Path) -> None:
    path = written(tmp_path / "members.yaml", GOOD.replace("kind: ngo", "kind: pirate"))
    with pytest.raises(ConfigError, match=r"members.yaml:5:11: organisations.0.kind"):
        load_yaml_model(path, MemberDirectory)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = written(tmp_path / "members.yaml", "organisations:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError, match=r"members.yaml:3:1: invalid YAML"):
        load_yaml_model(path, MemberDirectory)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml_model(tmp_path / "absent.yaml", MemberDirectory)


# YAML 1.1's corners: every scalar the resolvers tell apart, flow and block styles, anchors.
_CORNERS = """\
plain: [yes, no, on, off, ~, null, 0o17, 0x1F, 017, 1_000, 1e3, .inf, -.inf, .nan, 12:30]
dates: [2026-12-08, 2026-12-08T10:00:00+09:00]
quoted: ["yes", '0x1F', "a\\tb", "\\u3042"]
base: &base {min_level: standby, regions: [Asia, Eastern Africa]}
merged: {<<: *base, quiet_hours: "22:00-07:00"}
folded: >
  one
  two
literal: |
  日本語
   indented
empty:
"""


_SHIPPED = ("deploy/members.example.yaml", "deploy/rota.example.yaml", "deploy/criteria.yaml")


@pytest.mark.parametrize("name", [*_SHIPPED, "corners"])
def test_libyaml_reads_every_file_as_the_python_reader_does(name: str) -> None:
    repo = Path(__file__).resolve().parents[3]
    document = _CORNERS if name == "corners" else (repo / name).read_text(encoding="utf-8")
    fast = yaml.load(document, Loader=config_files._FAST_LOADER)
    assert repr(fast) == repr(yaml.safe_load(document))
