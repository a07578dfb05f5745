"""Operator commands of the duty service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the duty's commands to the `standby` command."""
