"""The `standby` command: run the system, one service, or an operator's tool."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from schemas.export import export_json_schemas
from services.common.commands import fail, load_settings
from services.common.errors import StandbyError
from services.common.settings import SERVICES, ServiceName

app = typer.Typer(
    help="standby: disaster feeds in, member alerts and duty pages out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schemas_app = typer.Typer(help="The wire contract.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


def _service_command(name: ServiceName) -> None:
    def command() -> None:
        from importlib import import_module

        from services.common.service import serve

        settings = load_settings()
        setup = import_module(f"services.{name}.main").setup
        try:
            asyncio.run(serve(name, settings, setup))
        except StandbyError as err:
            raise fail(err) from err
        # The service has stopped: database closed, outbox handed over. The interpreter's own
        # teardown (client threads, executor, collection) took 1-2 s more, and a broker
        # recovery waits for the old process to be gone before starting the new one.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    command.__doc__ = f"Run the {name} service in the foreground."
    app.command(name)(command)


for _name in SERVICES:
    _service_command(_name)


@app.command()
def run() -> None:
    """Start the whole system on the embedded broker, with a local SMTP sink under var/mail/."""
    from services.runtime.supervisor import run_system

    settings = load_settings()
    try:
        sys.exit(asyncio.run(run_system(settings)))
    except StandbyError as err:
        raise fail(err) from err


@app.command()
def demo(
    keep_running: Annotated[
        bool, typer.Option(help="Keep the system up after the summary (Ctrl-C stops it).")
    ] = False,
) -> None:
    """Run the system against a bundled scenario served from local HTTP and print a summary."""
    from services.runtime.demo import run_demo

    settings = load_settings()
    try:
        sys.exit(asyncio.run(run_demo(settings, keep_running=keep_running)))
    except StandbyError as err:
        raise fail(err) from err


@app.command("smtp-sink", hidden=True)
def smtp_sink(
    port: Annotated[int, typer.Option()],
    folder: Annotated[Path, typer.Option()],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Run the local SMTP sink that stores every message as an .eml file."""
    from services.runtime.smtp_sink import run_sink

    run_sink(host, port, folder)


@schemas_app.command("export")
def schemas_export(directory: Path) -> None:
    """Write the JSON Schema of every topic's message into DIRECTORY."""
    written = export_json_schemas(directory)
    typer.echo(json.dumps([str(p) for p in written], indent=2))


def _register_service_tools() -> None:
    from services.duty.cli import register as register_duty
    from services.ingester.cli import register as register_ingester
    from services.notifier.cli import register as register_notifier
    from services.tools import register as register_tools
    from services.triage.cli import register as register_triage

    for register in (
        register_ingester,
        register_triage,
        register_notifier,
        register_duty,
        register_tools,
    ):
        register(app)


_register_service_tools()


def main() -> None:
    app()
