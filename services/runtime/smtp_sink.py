"""A local SMTP server that accepts everything and stores each message as an .eml file.

The embedded default has no mail server; this one lets a newcomer open what members and
duty officers would receive. It runs in its own process so it never competes with the
notifier for the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    """Write every accepted message to `folder/<ns>-<n>.eml`, atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        name = f"{time.time_ns()}-{os.getpid()}-{next(self._seq)}"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(self.folder / f"{name}.eml")
        return "250 Message accepted for delivery"


async def serve_sink(host: str, port: int, folder: Path) -> None:
    """Serve until SIGTERM or SIGINT."""
    handler = MaildirHandler(folder)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(handler, hostname="standby-sink", data_size_limit=50 * 1024 * 1024)

    server = await loop.create_server(factory, host=host, port=port, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def run_sink(host: str, port: int, folder: Path) -> None:
    """Run the sink in the foreground."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_sink(host, port, folder))


def main(argv: list[str]) -> None:
    """`standby smtp-sink --port P --folder F [--host H]`, read without the whole CLI.

    The supervisor starts the sink as `python -m services smtp-sink ...`; parsing its three
    options here keeps typer, pydantic and the services' modules out of its process.
    """
    parser = argparse.ArgumentParser(prog="standby smtp-sink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args(argv)
    run_sink(options.host, options.port, options.folder)
