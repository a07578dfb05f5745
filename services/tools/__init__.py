"""Operator commands that span services (backtest, check-config): composition roots like the CLI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the cross-service commands to the `standby` command."""
