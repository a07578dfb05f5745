"""Real aiosmtpd servers that misbehave on purpose, chosen per recipient by its local part.

- `ok…`        accepts
- `reject…`    550 at RCPT (a permanent failure)
- `tempfail…`  451 to the first two DATA, then accepts
- `busy…`      421 and closes the connection on the first DATA, then accepts
- `hang…`      never answers the first DATA (the client times out), then accepts
- `drop…`      closes the connection in the middle of the first DATA, then accepts
- `slow…`      waits a quarter of a second (half the client timeout) before accepting
Each server counts the messages it actually accepted per recipient.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Behaviours:
    """The handler: decides per recipient and attempt, and records what it accepted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.messages: list[EmailMessage] = []
        # When (time.monotonic) each recipient was last named at RCPT and last accepted.
        self.rcpt_at: dict[str, float] = {}
        self.accepted_at: dict[str, float] = {}
        self.greetings = 0  # EHLOs answered: one per connection a client greeted

    async def handle_EHLO(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self.lock:
            self.greetings += 1
        session.host_name = hostname  # a handler of EHLO sets it (aiosmtpd)
        return responses

    def count(self, rcpt: str) -> int:
        with self.lock:
            self.attempts[rcpt] += 1
            return self.attempts[rcpt]

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("reject"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        with self.lock:
            self.rcpt_at[address] = time.monotonic()
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        n = self.count(rcpt)
        if rcpt.startswith("tempfail") and n <= 2:
            return "451 4.3.0 try again later"
        if rcpt.startswith("busy") and n <= 1:
            server.transport.close()  # type: ignore[union-attr]
            return "421 4.3.2 service not available, closing"
        if rcpt.startswith("hang") and n <= 1:
            await asyncio.sleep(3600)
        if rcpt.startswith("slow"):
            await asyncio.sleep(0.25)
        with self.lock:
            self.accepted[rcpt] += 1
            self.accepted_at[rcpt] = time.monotonic()
            raw = envelope.original_content or b""
            self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        return "250 2.0.0 accepted"

    def messages_to(self, rcpt: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if rcpt in str(m["To"])]


class DroppingSMTP(SMTP):
    """Close the connection halfway through the first DATA of a `drop…` recipient."""

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        envelope = self.envelope
        rcpt = envelope.rcpt_tos[0] if envelope and envelope.rcpt_tos else ""
        handler: Behaviours = self.event_handler
        if rcpt.startswith("drop") and handler.attempts[rcpt] == 0:
            handler.count(rcpt)
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readline()  # type: ignore[attr-defined]
            self.transport.close()  # type: ignore[union-attr]
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return DroppingSMTP(self.handler, hostname="misbehaving", data_size_limit=None)


@contextlib.contextmanager
def serving(controller: Controller) -> Iterator[None]:
    """Run an aiosmtpd server in its own thread and event loop for the block."""
    controller.start()
    try:
        yield
    finally:
        controller.stop(no_assert=True)


@contextlib.contextmanager
def smtp_server(port: int) -> Iterator[Behaviours]:
    """Run a misbehaving SMTP server in its own thread and event loop."""
    behaviours = Behaviours()
    with serving(_Controller(behaviours, hostname="127.0.0.1", port=port)):
        yield behaviours


@contextlib.contextmanager
def silent_server(port: int) -> Iterator[None]:
    """A TCP server that accepts connections and never says a word (no SMTP greeting)."""
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = sock.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        sock.close()


class Ledger:
    """A sink that accepts everything and notes when each mail arrived, to whom, with which id."""

    _MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>\r\n]+>)", re.MULTILINE)

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str, str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        found = self._MESSAGE_ID.search(envelope.original_content or b"")
        with self.lock:
            self.arrivals.append(
                (time.monotonic(), envelope.rcpt_tos[0], found.group(1).decode() if found else "")
            )
        return "250 2.0.0 accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def snapshot(self) -> list[tuple[float, str, str]]:
        with self.lock:
            return list(self.arrivals)


@contextlib.contextmanager
def ledger_server(port: int) -> Iterator[Ledger]:
    """Run an accept-all SMTP server that keeps a ledger, in its own thread."""
    ledger = Ledger()
    with serving(Controller(ledger, hostname="127.0.0.1", port=port)):
        yield ledger
