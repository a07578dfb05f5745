"""Operator commands of the triage service: what it decided, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from schemas.activations import Level


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
        from services.common.commands import print_lines
        from services.triage.report import incident_lines

        print_lines("triage", lambda db: incident_lines(db, at_least=level, limit=limit))

    @app.command("triage-explain")
    def explain_command(
        incident: Annotated[str, typer.Argument(help="Incident id (or its first characters).")],
    ) -> None:
        """Show an incident's reports, each decision with its reasons, and what was broadcast."""
        from services.common.commands import print_lines
        from services.triage.report import explain_lines

        print_lines("triage", lambda db: explain_lines(db, incident))
