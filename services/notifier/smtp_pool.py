"""A bounded pool of reusable SMTP connections, and what an SMTP failure means for a retry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import aiosmtplib
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import normalize_message_line_endings

from services.common.errors import DeliveryError
from services.common.logs import get_logger
from services.common.settings import SmtpSettings
from services.notifier.mime import seven_bit

log = get_logger(__name__)

# An idle connection older than this is probed with NOOP before use: servers drop idle
# clients, and a send on a dead socket would cost a retry with backoff.
_IDLE_PROBE_S = 10.0


def data_payload(message: bytes) -> bytes:
    """The message as DATA carries it: CRLF lines, a leading "." doubled, then the end mark.

    What aiosmtplib's `data()` does with two regular expressions over the whole message
    (~0.1 ms of CPU a mail); our messages are CRLF throughout (the headers we write, the SMTP
    policy's body), so counting the line breaks shows that and `bytes.replace` stuffs the dots
    (RFC 5321 4.5.2) in a fifth of the time. A message with a bare CR or LF is normalised.
    """
    crlf = message.count(b"\r\n")
    if message.count(b"\r") != crlf or message.count(b"\n") != crlf:
        message = normalize_message_line_endings(message)
    elif not message.endswith(b"\r\n"):
        message += b"\r\n"
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


def classify(err: BaseException) -> DeliveryError:
    """Decide whether an SMTP failure is worth retrying (4xx, network) or final (5xx)."""
    if isinstance(err, DeliveryError):
        return err
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in err.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in err.recipients)
        return DeliveryError(f"recipient refused: {detail}", permanent=any(c >= 500 for c in codes))
    if isinstance(err, aiosmtplib.SMTPResponseException):
        return DeliveryError(f"{err.code} {err.message}", permanent=err.code >= 500)
    if isinstance(err, TimeoutError | aiosmtplib.SMTPTimeoutError):
        return DeliveryError("timed out waiting for the mail server", permanent=False)
    if isinstance(err, aiosmtplib.SMTPServerDisconnected):
        return DeliveryError(f"mail server disconnected: {err}", permanent=False)
    if isinstance(err, aiosmtplib.SMTPException | OSError):
        return DeliveryError(f"{type(err).__name__}: {err}", permanent=False)
    raise TypeError(f"not an SMTP failure: {err!r}") from err


async def _transfer(
    conn: _Conn,
    sender: bytes,
    recipient: str,
    message: bytes,
    reply_s: float,
    before_message: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """MAIL, RCPT, DATA: `sender` quoted already, `recipient` a plain address (`check_address`).

    `SMTP.sendmail` parses both addresses twice and runs a line-ending regex over the whole
    message for SIZE before `data()` runs it again: ~0.1 ms of CPU a mail, a third of the
    client's share of a fan-out. The envelope is plain ASCII addresses, quoted here once; the
    message goes through `data_payload` rather than `SMTP.data`. Any error discards the
    connection, so no RSET is needed.

    A reply must come within `reply_s` (DATA's two, the 354 and the verdict, within twice
    that) and the whole exchange within twice that; `_Conn.reply_due` keeps the limits.

    A message with 8bit text parts (raw UTF-8, `mime.build_body(eightbit=True)`) goes as it
    is with `BODY=8BITMIME` to a server that advertises 8BITMIME (RFC 6152); to one that does
    not, its 8bit parts are sent base64 (`mime.seven_bit`).

    `before_message` is awaited after the server's 354 and before the message: from then on the
    server may accept the mail (`unmarked.UnmarkedLimit`).
    """
    client = conn.client
    if client.is_ehlo_or_helo_needed:
        await client.ehlo(timeout=reply_s)
    mail_from = b"FROM:" + sender
    if not message.isascii():
        if client.supports_extension("8bitmime"):
            mail_from += b" BODY=8BITMIME"
        else:
            message = seven_bit(message)
    conn.reply_due(reply_s)
    reply = await client.execute_command(b"MAIL", mail_from, timeout=None)
    if reply.code != 250:
        raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender.decode())
    conn.reply_due(reply_s)
    reply = await client.execute_command(b"RCPT", b"TO:<%s>" % recipient.encode(), timeout=None)
    if reply.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
    conn.reply_due(2 * reply_s)
    reply = await client.execute_command(b"DATA", timeout=None)
    if reply.code != 354:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)
    if before_message is not None:
        # The server waits minutes for the message (RFC 5321 4.5.3.2); no reply is due
        # while this waits, and the verdict's is counted from the end of the wait.
        conn.finish()
        await before_message()
        conn.reply_due(2 * reply_s)
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    protocol.write(data_payload(message))
    reply = await protocol.read_response(timeout=None)
    if reply.code != 250:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)


class _Conn:
    """One pooled connection, and the limit on the reply it is waiting for.

    The limit moves at each command of each mail. An `asyncio.timeout` moved each time
    cancels and schedules a timer (~25 µs of CPU a mail, three moves). Here the limit is a
    number, and one timer per connection, set for the limit it last saw, looks again when it
    fires: if the limit has moved on it is set for the new one, and if not the wait is over
    and the connection is aborted under the command, which then fails as a timeout.
    """

    __slots__ = ("_due", "_end", "_loop", "_timer", "client", "expired", "last_used")

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.last_used = time.monotonic()
        self.expired = False
        self._due: float | None = None
        self._end = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def begin(self, within: float) -> None:
        """Start an exchange that must end `within` seconds from now."""
        self._end = self._loop.time() + within

    def reply_due(self, within: float) -> None:
        """The next reply must come `within` seconds from now (and within the exchange's end)."""
        self._due = due = min(self._loop.time() + within, self._end)
        if self._timer is None:
            self._timer = self._loop.call_at(due, self._look)

    def finish(self) -> None:
        """The exchange is over: nothing is awaited until the next `reply_due`."""
        self._due = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _look(self) -> None:
        self._timer = None
        if self._due is None:
            return
        if self._loop.time() < self._due:
            self._timer = self._loop.call_at(self._due, self._look)
            return
        self.expired = True
        # Abort, not close: a server that stopped reading leaves a close waiting on the
        # unsent bytes, and the command waiting with it.
        transport = self.client.transport
        if isinstance(transport, asyncio.Transport):
            transport.abort()
        else:
            self.client.close()


class SmtpPool:
    """Up to `pool_size` open connections, each carrying one message at a time."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.pool_size)
        self._idle: list[_Conn] = []
        # One connection beside the pool, greeted already, kept for urgent messages: a page
        # sent while every pooled connection carries a member mail does not wait for a new
        # connection's handshake with a server that is busy with them (decision 0740).
        self._reserve: _Conn | None = None
        self._closed = False
        self._senders: dict[str, bytes] = {}

    async def warm(self, count: int | None = None) -> int:
        """Open connections ahead of the first message, and the one kept for urgent ones;
        return how many opened."""
        wanted = min(count or self.settings.pool_size, self.settings.pool_size) - len(self._idle)
        wanted += self._reserve is None
        results = await asyncio.gather(
            *(self._open() for _ in range(max(wanted, 0))), return_exceptions=True
        )
        opened = [c for c in results if isinstance(c, _Conn)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            log.warning(
                "smtp_warmup_incomplete",
                opened=len(opened),
                failed=len(failures),
                error=str(classify(failures[0])),
            )
        if self._reserve is None and opened:
            self._reserve = await self._greeted(opened.pop())
        self._idle.extend(opened)
        return len(results) - len(failures)

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        urgent: bool = False,
        before_start: Callable[[], Awaitable[None]] | None = None,
        before_message: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Send one message to one recipient; raise DeliveryError saying if a retry may help.

        `recipient` is a plain address the caller has checked (`mime.check_address`).

        An urgent message (a duty page) does not queue for a slot behind a batch of member
        alerts: it takes an idle connection or opens one beyond the pool's size.
        `before_start` is awaited once a slot is taken, before the exchange begins (a member
        mail waits there while a page is in hand: decision 0740).
        """
        timeout = self.settings.timeout_s
        async with contextlib.nullcontext() if urgent else self._slots:
            if before_start is not None:
                await before_start()
            conn: _Conn | None = None
            try:
                conn = await self._take_reserve() if urgent else None
                conn = conn or await self._take()

                conn.begin(2 * timeout)
                try:
                    await _transfer(
                        conn, self._quoted(sender), recipient, message, timeout, before_message
                    )
                finally:
                    conn.finish()
            except BaseException as err:
                if conn is not None:
                    await self._discard(conn)
                if isinstance(err, asyncio.CancelledError | KeyboardInterrupt):
                    raise
                if conn is not None and conn.expired:
                    raise classify(TimeoutError()) from err
                raise classify(err) from err
            conn.last_used = time.monotonic()
            if urgent and self._reserve is None and not self._closed:
                self._reserve = conn
            elif self._closed or len(self._idle) >= self.settings.pool_size:
                await self._discard(conn)
            else:
                self._idle.append(conn)

    def _quoted(self, sender: str) -> bytes:
        quoted = self._senders.get(sender)
        if quoted is None:
            quoted = self._senders[sender] = quote_address(sender).encode()
        return quoted

    async def close(self) -> None:
        """Say QUIT on every idle connection."""
        self._closed = True
        idle, self._idle = self._idle, []
        if self._reserve is not None:
            idle.append(self._reserve)
            self._reserve = None
        await asyncio.gather(*(self._discard(c, polite=True) for c in idle))

    async def _take(self) -> _Conn:
        while self._idle:
            conn = await self._alive(self._idle.pop())
            if conn is not None:
                return conn
        return await self._open()

    async def _take_reserve(self) -> _Conn | None:
        conn, self._reserve = self._reserve, None
        return await self._alive(conn) if conn is not None else None

    async def _alive(self, conn: _Conn) -> _Conn | None:
        """The connection if it still works (probed with NOOP after a long idle), else None."""
        if not conn.client.is_connected:
            return None
        if time.monotonic() - conn.last_used > _IDLE_PROBE_S:
            try:
                await conn.client.noop(timeout=self.settings.timeout_s)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                await self._discard(conn)
                return None
        return conn

    async def _greeted(self, conn: _Conn) -> _Conn:
        """Say EHLO ahead of the first message (a failure leaves it to the first send)."""
        if conn.client.is_ehlo_or_helo_needed:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await conn.client.ehlo(timeout=self.settings.timeout_s)
        return conn

    async def _open(self) -> _Conn:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout_s,
            use_tls=s.use_tls,
            start_tls=s.starttls if not s.use_tls else False,
            validate_certs=s.validate_certs,
            username=s.username,
            password=s.password.get_secret_value() if s.password else None,
        )
        await asyncio.wait_for(client.connect(), s.timeout_s * 2)
        return _Conn(client)

    async def _discard(self, conn: _Conn, *, polite: bool = False) -> None:
        conn.stop()
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            if polite and conn.client.is_connected:
                await conn.client.quit(timeout=2)
        conn.client.close()
