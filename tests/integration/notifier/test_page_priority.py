"""A duty page does not wait behind member alerts: not for a free slot on a busy pool, and no
member mail starts while a page is in hand."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from schemas.pages import PageTarget
from services.common.db import Database
from services.common.settings import SmtpSettings
from services.notifier.smtp_pool import SmtpPool
from tests.conftest import free_port
from tests.integration.notifier.harness import (
    activation,
    all_sent,
    directory_yaml,
    running_notifier,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import smtp_server
from tests.messages import page_of

SERVICE = "notifier"

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


async def test_an_urgent_message_on_a_busy_pool_goes_on_the_connection_kept_for_it() -> None:
    port = free_port()
    with smtp_server(port) as server:
        pool = SmtpPool(SmtpSettings(port=port, pool_size=1, timeout_s=5))
        assert await pool.warm() == 2  # the pool's one connection and the one kept for pages
        assert server.greetings == 1  # the kept one is greeted already
        member = asyncio.create_task(pool.send("a@example.org", "slow-0@example.org", MAIL))
        await asyncio.sleep(0.05)
        await pool.send("a@example.org", "officer@example.org", MAIL, urgent=True)
        # No connection was opened (nor greeted) for the page while the member's was busy.
        assert server.greetings == 2 and server.accepted["officer@example.org"] == 1
        await member
        # The kept connection is kept again for the next page.
        await pool.send("a@example.org", "officer@example.org", MAIL, urgent=True)
        assert server.greetings == 2 and server.accepted["officer@example.org"] == 2
        await pool.close()


async def test_no_member_mail_starts_while_a_page_is_in_hand(
    tmp_path: Path, database: Database
) -> None:
    # Every member's mail and the page each take a quarter of a second at the server.
    contacts = [(f"slow{i:02d}", "en", f"slow{i:02d}@members.example.org") for i in range(24)]
    port = free_port()
    settings = settings_for(tmp_path, port, directory_yaml(contacts))
    (tmp_path / "rota.yaml").write_text(
        "officers:\n  - {id: sato, name: Sato, language: en, email: slow-sato@duty.example.org}\n",
        encoding="utf-8",
    )
    officer = "slow-sato@duty.example.org"
    alert = activation()
    page = page_of(alert, PageTarget(officer_id="sato", name="Sato", language="en"))
    with smtp_server(port) as server:
        async with running_notifier(settings, database) as notifier:
            await until(notifier.ready.is_set, what="the notifier ready")
            fan_out = asyncio.create_task(notifier.handlers.on_activation(alert))
            await until(lambda: len(server.accepted) >= 4, what="the fan-out under way")
            paged = time.monotonic()
            await notifier.handlers.on_page(page)
            await until(lambda: officer in server.accepted_at, what="the page accepted")
            await fan_out
            await until(lambda: all_sent(database, len(contacts) + 1), timeout=30, what="all sent")
    page_accepted = server.accepted_at[officer]
    # The sends under way when the page came (named at RCPT before it) finish; after them no
    # member mail starts until the page is accepted.
    started_meanwhile = sorted(
        rcpt
        for rcpt, at in server.rcpt_at.items()
        if rcpt != officer and paged + 0.1 < at and at < page_accepted
    )
    assert started_meanwhile == []
    assert all(server.accepted[f"{c}@members.example.org"] == 1 for c, _, _ in contacts)
