"""Operator commands that span services (backtest, check-config): composition roots like the CLI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the cross-service commands to the `standby` command."""
    from services.tools.backtest import backtest
    from services.tools.check_config import check_config

    app.command("backtest")(backtest)
    app.command("check-config")(check_config)
