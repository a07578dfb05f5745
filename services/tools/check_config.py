"""`standby check-config`: validate criteria, member directory and rota before they go live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from pydantic import BaseModel, ConfigDict

from services.common.commands import CriteriaFile, MembersFile, RotaFile
from services.common.errors import ConfigError
from services.common.settings import Settings
from services.triage.conditions import KnownCountry


def _check_criteria(path: Path) -> str:
    from services.triage.criteria import load_criteria

    criteria = load_criteria(path)
    caps = sum(1 for r in criteria.rules if r.effect.value == "cap")
    return f"{len(criteria.rules)} rules ({caps} caps)"


def criteria_warnings(path: Path) -> list[str]:
    """What a valid criteria file may still get wrong: bands of a ladder no rule covers."""
    from services.triage.criteria import load_criteria
    from services.triage.ladders import ladder_gaps

    return ladder_gaps(load_criteria(path))


def _check_members(path: Path) -> str:
    from services.common.config_files import load_yaml_model
    from services.common.members_file import load_member_directory

    # The notifier's own loader: it also refuses UN regions that name no region.
    directory = load_member_directory(path)
    contacts = sum(len(o.contacts) for o in directory.organisations)
    # ISO3-shaped is not enough: a typo (PHI for PHL) would hide the members from triage.
    load_yaml_model(path, _MemberCountries)
    return f"{len(directory.organisations)} organisations, {contacts} contacts"


class _MemberOrganisation(BaseModel):
    model_config = ConfigDict(extra="allow")
    countries: list[KnownCountry] = []


class _MemberCountries(BaseModel):
    """Only the members' countries, checked against the country table triage decides with."""

    model_config = ConfigDict(extra="allow")
    organisations: list[_MemberOrganisation] = []


def _check_rota(path: Path) -> str:
    # The duty service owns the rota's model; imported here only when asked for.
    from services.duty.rota import load_rota

    rota = load_rota(path)
    directors = sum(1 for o in rota.officers if o.is_director)
    return (
        f"{len(rota.officers)} officers ({directors} directors), "
        f"{len(rota.escalation)} escalation steps"
    )


def check_config(
    criteria: CriteriaFile = None,
    members: MembersFile = None,
    rota: RotaFile = None,
) -> None:
    """Validate the criteria, members and rota files; report errors with file, line and column."""
    from services.common.commands import load_settings
    from services.common.production import file_problems

    settings = load_settings()
    failed = 0
    results = check_files(settings, criteria=criteria, members=members, rota=rota)
    for label, path, summary, error in results:
        if error is not None:
            failed += 1
            typer.secho(f"FAIL {label:<9} {path}", fg=typer.colors.RED, err=True)
            typer.echo(_indent(error), err=True)
            continue
        typer.echo(f"ok   {label:<9} {path}: {summary}")
        if label == "criteria":
            for warning in criteria_warnings(path):
                typer.secho(f"warn {label:<9} {warning}", fg=typer.colors.YELLOW, err=True)
        else:
            # What production would refuse to start with: a failure there, a note here.
            refused = file_problems(path, label)
            production = settings.environment == "production"
            failed += 1 if refused and production else 0
            for problem in refused:
                word = "FAIL" if production else "note"
                typer.secho(f"{word} {label:<9} {problem}", fg=typer.colors.YELLOW, err=True)
    if failed:
        typer.echo(f"{failed} of {len(results)} files invalid", err=True)
        raise typer.Exit(1)


def check_files(
    settings: Settings,
    *,
    criteria: Path | None = None,
    members: Path | None = None,
    rota: Path | None = None,
) -> list[tuple[str, Path, str | None, str | None]]:
    """Check each configuration file: (label, path, summary if valid, error if not)."""
    checks: list[tuple[str, Path, Callable[[Path], str]]] = [
        ("criteria", criteria or settings.triage.criteria_file, _check_criteria),
        ("members", members or settings.members_file, _check_members),
        ("rota", rota or settings.duty.rota_file, _check_rota),
    ]
    results: list[tuple[str, Path, str | None, str | None]] = []
    for label, path, check in checks:
        try:
            results.append((label, path, check(path), None))
        except ConfigError as err:
            results.append((label, path, None, str(err)))
    return results


def _indent(text: str) -> str:
    return "\n".join(f"     {line}" for line in text.splitlines())
