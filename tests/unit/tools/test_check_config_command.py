"""`standby check-config`: criteria, members and rota validated together, errors at file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services.cli import app
from tests.files import written
from tests.unit.triage.builders import REPO, SHIPPED_CRITERIA

runner = CliRunner()
MEMBERS = REPO / "deploy" / "members.example.yaml"
ROTA = REPO / "deploy" / "rota.example.yaml"


def check(
    criteria: Path = SHIPPED_CRITERIA, members: Path = MEMBERS, rota: Path = ROTA
) -> list[str]:
    return [
        "check-config",
        "--criteria",
        str(criteria),
        "--members",
        str(members),
        "--rota",
        str(rota),
    ]


def _check_members(tmp_path: Path, text: str) -> Result:
    """Check a member directory of `text` beside the shipped criteria and rota."""
    return runner.invoke(app, check(members=written(tmp_path / "members.yaml", text)))


@pytest.fixture(autouse=True)
def _shipped_examples_exist() -> None:
    assert MEMBERS.is_file() and ROTA.is_file(), (
        "the example member directory and rota ship in deploy/"
    )


def test_the_shipped_files_are_valid() -> None:
    result = runner.invoke(app, check())
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "criteria"],
        ["ok", "members"],
        ["ok", "rota"],
    ]
    assert "27 rules (3 caps)" in lines[0]


def test_a_criteria_error_names_file_line_and_column_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "criteria.yaml"
    broken.write_text(
        SHIPPED_CRITERIA.read_text(encoding="utf-8").replace(
            "alert_level: {at_least: red}\n", "alert_level: {at_least: crimson}\n", 1
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, check(criteria=broken))
    assert result.exit_code == 1
    assert "FAIL criteria" in result.stderr
    line = next(
        i + 1
        for i, text in enumerate(broken.read_text(encoding="utf-8").splitlines())
        if "crimson" in text
    )
    assert (
        f"criteria.yaml:{line}:" in result.stderr
        and "rules.0.when.alert_level.at_least" in result.stderr
    )
    assert "ok   members" in result.stdout and "ok   rota" in result.stdout


def test_unknown_keys_in_members_and_a_missing_rota_are_reported_together(tmp_path: Path) -> None:
    members = tmp_path / "members.yaml"
    members.write_text("organisations: []\norganisatoins: []\n", encoding="utf-8")
    result = runner.invoke(app, check(members=members, rota=tmp_path / "absent.yaml"))
    assert result.exit_code == 1
    assert "members.yaml:2:1: organisatoins: unknown key" in result.stderr
    assert "absent.yaml: cannot read" in result.stderr
    assert "2 of 3 files invalid" in result.stderr


def test_a_member_country_code_that_names_no_country_is_an_error(tmp_path: Path) -> None:
    result = _check_members(
        tmp_path,
        "organisations:\n"
        "  - id: typo-ngo\n"
        "    name_ja: 誤記\n"
        "    name_en: Typo NGO\n"
        "    kind: ngo\n"
        "    countries: [PHL, PHI]\n"
        "    contacts: [{id: desk, name: Desk, email: desk@typo.example}]\n",
    )
    assert result.exit_code == 1
    assert (
        "members.yaml:6:22: organisations.0.countries.1: Value error, unknown ISO3 country code 'PHI'"
        in result.stderr
    )


def test_a_subscription_region_that_names_no_un_region_is_an_error(tmp_path: Path) -> None:
    result = _check_members(
        tmp_path,
        "organisations:\n"
        "  - id: asia-ngo\n"
        "    name_ja: アジアNGO\n"
        "    name_en: Asia NGO\n"
        "    kind: ngo\n"
        "    contacts: [{id: desk, name: Desk, email: desk@asia.example}]\n"
        "    subscription: {regions: [South-eastern Asia, Southeast Asia]}\n",
    )
    assert result.exit_code == 1
    assert "members.yaml:7" in result.stderr
    assert "Southeast Asia" in result.stderr


def test_a_gap_between_two_population_rules_is_warned_about_and_still_valid(
    tmp_path: Path,
) -> None:
    shipped = SHIPPED_CRITERIA.read_text(encoding="utf-8")
    gap = shipped.replace(
        "population_exposed: {at_least: 1000000}", "population_exposed: {at_least: 2000000}"
    )
    assert gap != shipped
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(gap, encoding="utf-8")
    result = runner.invoke(app, check(criteria=candidate))
    assert result.exit_code == 0, result.output
    assert (
        "warn criteria  population_exposed: no rule covers 1,000,000–1,999,999 "
        "(between rule 'population-significant' and rule 'population-large')"
    ) in result.stderr
    shipped_result = runner.invoke(app, check())
    assert "warn" not in shipped_result.stderr


def test_a_rota_role_is_checked_and_directors_are_counted(tmp_path: Path) -> None:
    assert "4 officers (1 directors)" in runner.invoke(app, check()).stdout
    broken = tmp_path / "rota.yaml"
    broken.write_text(
        ROTA.read_text(encoding="utf-8").replace("roles: [director]", "roles: [boss]", 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, check(rota=broken))
    assert result.exit_code == 1
    assert f"{broken}:" in result.stderr and "officers.3.roles.0" in result.stderr
    assert "'director'" in result.stderr


def test_a_name_with_a_line_break_is_refused_at_its_line(tmp_path: Path) -> None:
    rota = tmp_path / "rota.yaml"
    text = ROTA.read_text(encoding="utf-8").replace(
        "name: Alex Morgan", 'name: "Alex Morgan\\r\\nBcc: everyone@evil.example"'
    )
    rota.write_text(text, encoding="utf-8")
    members = tmp_path / "members.yaml"
    members.write_text(
        MEMBERS.read_text(encoding="utf-8").replace(
            "name: Maria Reyes", 'name: "Maria\\u0007Reyes"'
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, check(members=members, rota=rota))
    assert result.exit_code != 0
    rota_line = next(n for n, line in enumerate(text.splitlines(), 1) if "Bcc:" in line)
    members_line = next(
        n for n, line in enumerate(members.read_text().splitlines(), 1) if "u0007" in line
    )
    assert f"{rota}:{rota_line}:" in result.output
    assert f"{members}:{members_line}:" in result.output


def test_what_production_would_refuse_is_a_warning_here_and_a_failure_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warned = runner.invoke(app, check())
    assert warned.exit_code == 0
    assert f"note rota      {ROTA}: the example rota file" in warned.output
    assert "verifies a published demo password" in warned.output
    monkeypatch.setenv("STANDBY_ENVIRONMENT", "production")
    refused = runner.invoke(app, check())
    assert refused.exit_code == 1
    assert f"FAIL members   {MEMBERS}: the example members file" in refused.output
