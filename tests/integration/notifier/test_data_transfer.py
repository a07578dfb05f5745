"""A real SMTP server receives the message the pool was given: lines that start with a dot,
a lone dot, bare line feeds and a missing last line break all arrive as the message meant."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.common.settings import SmtpSettings
from services.notifier.smtp_pool import SmtpPool
from tests.conftest import free_port
from tests.integration.notifier.smtp_servers import serving

HEAD = b"To: ok@example.org\r\nSubject: dots\r\nMessage-ID: <dots@standby.test>\r\n\r\n"


class Keeper:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        with self.lock:
            self.received.append(envelope.original_content or b"")
        return "250 2.0.0 accepted"


@pytest.fixture
def keeper() -> Iterator[tuple[Keeper, int]]:
    port = free_port()
    kept = Keeper()
    with serving(Controller(kept, hostname="127.0.0.1", port=port)):
        yield kept, port


@pytest.mark.parametrize(
    ("body", "arrives"),
    [
        (
            b".starts with a dot\r\n.\r\n..two dots\r\n",
            b".starts with a dot\r\n.\r\n..two dots\r\n",
        ),
        (
            b"bare\nline feeds\nand a bare\rreturn\r\n",
            b"bare\r\nline feeds\r\nand a bare\r\nreturn\r\n",
        ),
        (b"no last line break", b"no last line break\r\n"),
        (b"\xe3\x81\x82 8bit\r\n.\xe3\x81\x84\r\n", b"\xe3\x81\x82 8bit\r\n.\xe3\x81\x84\r\n"),
    ],
    ids=["dots", "bare-line-ends", "unterminated", "8bit-dot"],
)
async def test_the_server_receives_the_message_as_meant(
    keeper: tuple[Keeper, int], body: bytes, arrives: bytes
) -> None:
    kept, port = keeper
    pool = SmtpPool(SmtpSettings(port=port, pool_size=1, timeout_s=5))
    await pool.send("standby@example.org", "ok@example.org", HEAD + body)
    await pool.close()
    assert kept.received == [HEAD + arrives]
