"""Operator commands of the triage service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the triage's commands to the `standby` command."""
