"""What every `standby` command shares: reading settings, and failing with one clear line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from services.common.errors import StandbyError
from services.common.settings import Settings

if TYPE_CHECKING:
    from services.common.db import Database

# The configuration files a command may be pointed at; left out, the settings name them.
CriteriaFile = Annotated[
    Path | None, typer.Option(help="Criteria file (default: STANDBY_TRIAGE__CRITERIA_FILE).")
]
MembersFile = Annotated[
    Path | None, typer.Option(help="Member directory (default: STANDBY_MEMBERS_FILE).")
]
RotaFile = Annotated[
    Path | None, typer.Option(help="Rota file (default: STANDBY_DUTY__ROTA_FILE).")
]


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


def print_lines(service: str, read: Callable[[Database], Awaitable[list[str]]]) -> None:
    """Open the service's database, print the lines `read` returns from it, and close it."""
    from services.common.db import Database

    settings = load_settings()

    async def run() -> list[str]:
        db = Database(
            settings.database_url_for(service),
            service,
            schema=settings.database_schema_for(service),
        )
        try:
            return await read(db)
        finally:
            await db.dispose()

    for line in asyncio.run(run()):
        typer.echo(line)
