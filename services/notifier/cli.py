"""Operator commands of the notifier service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the notifier's commands to the `standby` command."""
