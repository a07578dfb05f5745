"""What every `standby` command shares: reading settings, and failing with one clear line."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from services.common.errors import StandbyError
from services.common.settings import Settings


def load_settings() -> Settings:
    """Read settings, or exit with the reason when they are invalid."""
    try:
        return Settings()
    except ValidationError as err:
        typer.echo(f"error: invalid settings (STANDBY_* environment or .env):\n{err}", err=True)
        raise typer.Exit(2) from err


def fail(err: StandbyError) -> typer.Exit:
    """Print a StandbyError as one line and return the exit to raise."""
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(2)
