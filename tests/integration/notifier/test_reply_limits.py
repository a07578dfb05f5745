"""The pool's limits against a real server that is slow on purpose: each reply within
`timeout_s` (DATA's verdict within twice that), the whole exchange within twice `timeout_s`,
and a limit that is passed fails the send as a timeout, on time, with the connection dropped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.common.errors import DeliveryError
from services.common.settings import SmtpSettings
from services.notifier.smtp_pool import SmtpPool
from tests.conftest import free_port
from tests.integration.notifier.smtp_servers import serving

MESSAGE = b"To: ok@example.org\r\nSubject: limits\r\n\r\nbody\r\n"


class Slow:
    """Waits the given seconds before its reply to MAIL, RCPT and the end of DATA."""

    def __init__(self, mail: float, rcpt: float, data: float) -> None:
        self.delays = {"mail": mail, "rcpt": rcpt, "data": data}
        self.accepted = 0

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        await asyncio.sleep(self.delays["mail"])
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        await asyncio.sleep(self.delays["rcpt"])
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        await asyncio.sleep(self.delays["data"])
        self.accepted += 1
        return "250 2.0.0 accepted"


@pytest.fixture
def slow_server(request: pytest.FixtureRequest) -> Iterator[tuple[Slow, int]]:
    port = free_port()
    handler = Slow(*request.param)
    with serving(Controller(handler, hostname="127.0.0.1", port=port)):
        yield handler, port


async def _send(port: int, timeout_s: float) -> tuple[float, DeliveryError | None]:
    pool = SmtpPool(SmtpSettings(port=port, pool_size=1, timeout_s=timeout_s))
    await pool.warm()
    started = time.monotonic()
    try:
        await pool.send("standby@example.org", "ok@example.org", MESSAGE)
    except DeliveryError as err:
        return time.monotonic() - started, err
    finally:
        await pool.close()
    return time.monotonic() - started, None


@pytest.mark.parametrize("slow_server", [(0.15, 0.15, 0.3)], indirect=True)
async def test_replies_within_their_limits_are_waited_for(slow_server: tuple[Slow, int]) -> None:
    server, port = slow_server
    # Each reply within 0.4 s, the whole exchange within 0.8 s: 0.15 + 0.15 + 0.3 passes both.
    elapsed, error = await _send(port, timeout_s=0.4)
    assert error is None
    assert server.accepted == 1
    assert elapsed >= 0.6


@pytest.mark.parametrize(
    ("slow_server", "limit_s"),
    [
        # MAIL's reply comes after 1 s: the 0.3 s limit on one reply ends the wait.
        ((1.0, 0.0, 0.0), 0.3),
        # Each reply within 0.3 s, the three together 0.75 s against the exchange's 0.6 s.
        ((0.25, 0.25, 0.25), 0.6),
    ],
    indirect=["slow_server"],
    ids=["one-reply-late", "exchange-too-long"],
)
async def test_a_limit_passed_fails_the_send_as_a_timeout_on_time(
    slow_server: tuple[Slow, int], limit_s: float
) -> None:
    _, port = slow_server
    elapsed, error = await _send(port, timeout_s=0.3)
    assert error is not None and not error.permanent
    assert "timed out" in str(error)
    assert limit_s <= elapsed < limit_s + 1.0, "the limit, not the server's own pace, ends it"
