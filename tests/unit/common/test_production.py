"""Production refuses the example files and the published demo password, naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.common.errors import ConfigError
from services.common.keys import KEYS_USED
from services.common.production import check_production, file_problems
from services.common.settings import ServiceName, Settings
from tests.files import written

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_ROTA = REPO / "deploy" / "rota.example.yaml"
EXAMPLE_MEMBERS = REPO / "deploy" / "members.example.yaml"
REAL_KEY = "0123456789abcdef0123456789abcdef-test"


def production(service: ServiceName) -> Settings:
    """Production settings with the service's own keys and the example files."""
    return Settings.model_validate(
        {
            "environment": "production",
            "duty": {"rota_file": EXAMPLE_ROTA},
            "members_file": EXAMPLE_MEMBERS,
            "keys": {p: f"{p}-{REAL_KEY}" for p in KEYS_USED[service]},
        }
    )


def test_the_example_rota_is_refused_by_name_and_by_its_demo_hashes() -> None:
    with pytest.raises(ConfigError) as refused:
        check_production(production("duty"), "duty")
    message = str(refused.value)
    assert f"{EXAMPLE_ROTA}: the example rota file" in message
    hash_lines = [
        n
        for n, line in enumerate(EXAMPLE_ROTA.read_text().splitlines(), 1)
        if "password_hash" in line
    ]
    for line in hash_lines:
        assert f"{EXAMPLE_ROTA}:{line}: this password_hash verifies a published demo password" in (
            message
        )


def test_a_copied_example_is_still_refused_for_its_password(tmp_path: Path) -> None:
    copy = tmp_path / "rota.yaml"
    shutil.copy(EXAMPLE_ROTA, copy)
    problems = file_problems(copy, "rota")
    assert not any("the example rota file" in p for p in problems)
    assert sum("published demo password" in p for p in problems) == 4


def test_members_at_documentation_addresses_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "members.yaml"
    shutil.copy(EXAMPLE_MEMBERS, copy)
    problems = file_problems(copy, "members")
    assert problems and all("is an example address" in p for p in problems)
    line = next(
        n
        for n, text in enumerate(copy.read_text().splitlines(), 1)
        if "tanaka@hopebridge.example.jp" in text
    )
    assert f"{copy}:{line}: tanaka@hopebridge.example.jp is an example address" in problems


def test_each_service_is_judged_on_the_files_it_reads(tmp_path: Path) -> None:
    check_production(production("ingester"), "ingester")  # reads neither file
    with pytest.raises(ConfigError, match=r"members\.example\.yaml"):
        check_production(production("triage"), "triage")
    development = Settings.model_validate({"duty": {"rota_file": EXAMPLE_ROTA}})
    check_production(development, "duty")


def test_a_rota_of_ones_own_passes(tmp_path: Path) -> None:
    rota = written(
        tmp_path / "rota.yaml",
        "officers:\n  - id: kato\n    name: Kato\n    email: kato@platform.jp\n"
        '    password_hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$'
        'QZcDLqGSQmaAqGrbPvnjPoLx3iEGfmL2o9uAfiAdSv8"\n',
    )
    assert file_problems(rota, "rota") == []
