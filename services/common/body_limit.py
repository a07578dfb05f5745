"""Refuse an oversized request body while it streams in, on every web surface standby serves.

Reading a body whole and measuring it afterwards lets one anonymous POST of 100 MB grow the
process by 100 MB (four at once by most of a gigabyte). Here a declared length over the
limit is refused before a byte is read, and an undeclared (chunked) body the moment it
passes the limit: 413, with at most the limit held in memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024  # the largest form standby serves is a few KiB
_REFUSAL = b"request body too large\n"


class BodyTooLargeError(Exception):
    """The body passed the limit while being read."""


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send)
            return
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, watched_send)
        except Exception as err:
            if started or not _too_large(err):
                raise
            await _refuse(send)


def _too_large(err: BaseException | None) -> bool:
    """Whether the refusal is what failed: Starlette's BaseHTTPMiddleware hands it up inside
    an exception group (its task group), or as the cause of one."""
    if err is None:
        return False
    if isinstance(err, BodyTooLargeError):
        return True
    if isinstance(err, BaseExceptionGroup) and any(_too_large(e) for e in err.exceptions):
        return True
    return _too_large(err.__cause__)


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_REFUSAL)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _REFUSAL})
