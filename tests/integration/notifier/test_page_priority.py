"""A duty page does not wait for a free slot behind member alerts on a busy pool."""

from __future__ import annotations

import asyncio
import time

from services.common.settings import SmtpSettings
from services.notifier.smtp_pool import SmtpPool
from tests.conftest import free_port
from tests.integration.notifier.smtp_servers import smtp_server

MAIL = b"From: a@example.org\r\nTo: x@example.org\r\nSubject: t\r\n\r\nbody\r\n"


async def test_an_urgent_message_overtakes_a_full_pool() -> None:
    port = free_port()
    with smtp_server(port) as server:
        pool = SmtpPool(SmtpSettings(port=port, pool_size=1, timeout_s=5))
        accepted_at: dict[str, float] = {}

        async def send(rcpt: str, *, urgent: bool = False) -> None:
            await pool.send("a@example.org", rcpt, MAIL, urgent=urgent)
            accepted_at[rcpt] = time.monotonic()

        # Four slow member alerts hold the single slot for about a second in all.
        members = [asyncio.create_task(send(f"slow-{i}@example.org")) for i in range(4)]
        await asyncio.sleep(0.05)
        await send("officer@example.org", urgent=True)
        await asyncio.gather(*members)
        await pool.close()

    assert server.accepted["officer@example.org"] == 1
    assert accepted_at["officer@example.org"] < min(
        accepted_at[f"slow-{i}@example.org"] for i in range(1, 4)
    )
