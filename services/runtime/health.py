"""`standby run`'s own HTTP endpoint: `/health` (each process's state as JSON) and `/metrics`.

A few lines of asyncio rather than a web framework: the supervisor stays small, and the
endpoint has two fixed answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.logs import get_logger

log = get_logger(__name__)

Report = Callable[[], dict[str, Any]]


class HealthServer:
    """Answer `GET /health` with `report()` (503 unless its status is "ok") and `GET /metrics`."""

    def __init__(self, host: str, port: int, report: Report) -> None:
        self.host = host
        self.port = port
        self.report = report
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._answer, self.host, self.port)
        except OSError as err:
            # The system runs without its health endpoint rather than not at all.
            log.warning(
                "health_endpoint_unavailable", host=self.host, port=self.port, error=str(err)
            )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            parts = request.split(b" ", 2)
            path = parts[1].split(b"?", 1)[0] if len(parts) > 1 else b""
            if path == b"/health":
                report = self.report()
                status = "200 OK" if report.get("status") == "ok" else "503 Service Unavailable"
                body, ctype = json.dumps(report).encode(), "application/json"
            elif path == b"/metrics":
                status, body, ctype = "200 OK", generate_latest(), CONTENT_TYPE_LATEST
            else:
                status, body, ctype = "404 Not Found", b"not found\n", "text/plain"
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()
