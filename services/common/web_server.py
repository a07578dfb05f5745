"""A service's web pages served inside its own process (the console, preferences, roll-call)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from services.common.body_limit import BodyLimit
from services.common.logs import get_logger

log = get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the service owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_app(
    app: FastAPI,
    host: str,
    port: int,
    *,
    name: str,
    sock: socket.socket | None = None,
    proxy_headers: bool = True,
) -> None:
    """Serve `app` until cancelled, then shut uvicorn down gracefully; logs `<name>_serving`.

    Every body is bounded while it streams in (`BodyLimit`): no page of standby reads more.
    Without `sock` uvicorn binds the port itself and answers a taken one with sys.exit,
    ending the service (its supervisor starts it again); a service whose pages are optional
    binds `sock` first and carries on without them.
    """
    # Outermost of the app's own layers: inside Starlette's error layer, which would answer
    # the refusal with a 500, and outside every page and proxy that reads a body.
    app.add_middleware(BodyLimit)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=proxy_headers,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock] if sock else None), name=name)
    log.info(f"{name}_serving", host=host, port=port)
    try:
        await asyncio.shield(task)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
        if sock is not None:
            sock.close()
