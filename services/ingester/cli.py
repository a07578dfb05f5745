"""Operator commands of the ingester service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ingester's commands to the `standby` command."""
