"""Every page standby serves refuses an oversized body while it streams in (413)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from services.common.body_limit import MAX_BODY_BYTES
from services.common.web_server import serve_app
from services.runtime.embedded import free_port


async def _served(read: list[int]) -> tuple[asyncio.Task[None], int]:
    app = FastAPI()

    @app.middleware("http")
    async def passthrough(request: Request, call_next: Any) -> Any:
        # Like the console's headers layer: Starlette hands the refusal up in an exception group.
        return await call_next(request)

    @app.post("/answer")
    async def answer(request: Request) -> PlainTextResponse:
        body = await request.body()
        read.append(len(body))
        return PlainTextResponse(f"{len(body)}")

    port = free_port()
    task = asyncio.create_task(serve_app(app, "127.0.0.1", port, name="test_web"))
    for _ in range(100):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        await asyncio.sleep(0.05)
    return task, port


async def _post(port: int, head: bytes, chunks: int, chunk: bytes) -> bytes:
    """Send a request head and up to `chunks` body chunks; the status line the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    with contextlib.suppress(ConnectionError):
        for _ in range(chunks):
            writer.write(chunk)
            await writer.drain()
            if reader.at_eof():
                break
    answer = await asyncio.wait_for(reader.read(200), 10)
    writer.close()
    return answer.split(b"\r\n", 1)[0]


async def test_a_declared_100_mb_body_is_refused_before_it_is_read() -> None:
    read: list[int] = []
    task, port = await _served(read)
    try:
        head = (
            b"POST /answer HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded"
            b"\r\ncontent-length: 104857600\r\n\r\n"
        )
        status = await _post(port, head, 1, b"a" * 65536)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert read == []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_undeclared_body_is_cut_off_at_the_limit_and_a_small_one_is_read() -> None:
    read: list[int] = []
    task, port = await _served(read)
    try:
        head = b"POST /answer HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        piece = b"a" * 65536
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
        status = await _post(port, head, (4 * MAX_BODY_BYTES) // len(piece), chunk)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert read == []  # the page never saw the body
        small = b"POST /answer HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"
        assert await _post(port, small, 0, b"") == b"HTTP/1.1 200 OK"
        assert read == [5]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
