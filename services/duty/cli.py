"""Operator commands of the duty service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from services.common.commands import RotaFile
from services.common.errors import ConfigError


def hash_password_command(
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Print an argon2 hash of a console password, for an officer's `password_hash` in rota.yaml."""
    from services.duty.console.auth import hash_password

    typer.echo(hash_password(password))


def set_password_command(
    officer_id: Annotated[str, typer.Argument(help="The officer's id in the rota.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    rota_file: RotaFile = None,
    print_only: Annotated[
        bool,
        typer.Option("--print", help="Print the hash instead of writing it into the rota."),
    ] = False,
) -> None:
    """Set an officer's console password: prompted twice, argon2, written into the rota."""
    from services.common.commands import load_settings
    from services.duty.console.auth import hash_password
    from services.duty.rota_passwords import password_problem, write_password_hash

    problem = password_problem(password)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    hashed = hash_password(password)
    if print_only:
        typer.echo(hashed)
        return
    path = rota_file or load_settings().duty.rota_file
    try:
        write_password_hash(path, officer_id, hashed)
    except (ConfigError, OSError) as err:
        typer.echo(f"error: {path}: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"{path}: password of {officer_id} set (the running duty reads it at once)")


def on_call_command(
    rota_file: RotaFile = None,
    at: Annotated[
        datetime | None, typer.Option(help="Instant to ask about, with offset (default: now).")
    ] = None,
) -> None:
    """Show who is on duty and the escalation chain a page would follow."""
    from schemas.base import utcnow
    from services.common.commands import load_settings
    from services.duty.rota import load_rota

    path = rota_file or load_settings().duty.rota_file
    try:
        rota = load_rota(path)
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    instant = at or utcnow()
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=rota.zone)
    local = instant.astimezone(rota.zone)
    typer.echo(f"at {local:%Y-%m-%d %H:%M %Z} ({rota.timezone})")
    for step in rota.chain_at(instant):
        names = ", ".join(f"{o.name} <{o.id}>" for i in step.officer_ids if (o := rota.officer(i)))
        typer.echo(f"  step {step.step} +{step.at_s / 60:g} min  {step.target.value:<10} {names}")


def register(app: typer.Typer) -> None:
    """Add the duty's commands to the `standby` command."""
    app.command("duty-hash-password")(hash_password_command)
    app.command("duty-set-password")(set_password_command)
    app.command("duty-on-call")(on_call_command)
