"""Operator commands of the triage service: what it decided, and why."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import typer

from schemas.activations import Level

if TYPE_CHECKING:
    from services.common.db import Database


def _print(read: Callable[[Database], Awaitable[list[str]]]) -> None:
    from services.common.commands import load_settings
    from services.common.db import Database

    settings = load_settings()

    async def run() -> list[str]:
        db = Database(
            settings.database_url_for("triage"),
            "triage",
            schema=settings.database_schema_for("triage"),
        )
        try:
            return await read(db)
        finally:
            await db.dispose()

    for line in asyncio.run(run()):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add the triage's commands to the `standby` command."""

    @app.command("triage-incidents")
    def incidents_command(
        level: Annotated[Level, typer.Option(help="Lowest level to list.")] = Level.WATCH,
        limit: Annotated[
            int, typer.Option(help="At most this many, most recently seen first.")
        ] = 50,
    ) -> None:
        """List the incidents triage holds at or above a level."""
        from services.triage.report import incident_lines

        _print(lambda db: incident_lines(db, at_least=level, limit=limit))

    @app.command("triage-explain")
    def explain_command(
        incident: Annotated[str, typer.Argument(help="Incident id (or its first characters).")],
    ) -> None:
        """Show an incident's reports, each decision with its reasons, and what was broadcast."""
        from services.triage.report import explain_lines

        _print(lambda db: explain_lines(db, incident))
