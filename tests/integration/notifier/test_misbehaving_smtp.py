"""Member alerts against real SMTP servers that misbehave: every contact gets exactly one mail."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from prometheus_client import REGISTRY

from schemas.deliveries import DeliveryStatus
from schemas.topics import DELIVERIES, dlq
from services.common.db import Database
from tests.conftest import free_port
from tests.integration.notifier.harness import (
    activation,
    all_settled,
    contact,
    directory_yaml,
    mailing_notifier,
    published,
    rows,
    running_notifier,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import silent_server

SERVICE = "notifier"

BEHAVIOURS = ["ok", "okja", "reject", "tempfail", "busy", "hang", "drop", "slow"]


def _contacts() -> list[tuple[str, str, str]]:
    return [
        (name, "ja" if name.endswith("ja") else "en", f"{name}@members.example.org")
        for name in BEHAVIOURS
    ]


def _counted(outcome: str) -> float:
    labels = {"channel": "email", "kind": "member_alert", "outcome": outcome}
    return REGISTRY.get_sample_value("standby_deliveries_total", labels) or 0.0


async def test_each_contact_gets_exactly_one_mail_whatever_the_server_does(
    tmp_path: Path, database: Database
) -> None:
    before = {outcome: _counted(outcome) for outcome in ("sent", "retrying", "failed")}
    async with mailing_notifier(tmp_path, database, directory_yaml(_contacts())) as (
        notifier,
        server,
    ):
        alert = activation()
        await notifier.handlers.on_activation(alert)

        # The healthy contacts are served while the hanging one is still waiting.
        await until(lambda: server.accepted["ok@members.example.org"] == 1, what="ok mail")
        await until(lambda: server.accepted["okja@members.example.org"] == 1, what="ja mail")
        assert server.accepted["hang@members.example.org"] == 0

        await until(lambda: all_settled(database, len(BEHAVIOURS)), timeout=20, what="settled")

        # A redelivered message and a re-sent activation change nothing.
        await notifier.handlers.on_activation(alert)
        await notifier.handlers.on_activation(alert.model_copy(update={"id": uuid4()}))
        await until(lambda: not notifier.dispatcher.in_flight, what="nothing in flight")

    found = await rows(database)
    by_contact = {row.contact_id: row for row in found.values()}
    for name in BEHAVIOURS:
        expected = 0 if name == "reject" else 1
        assert server.accepted[f"{name}@members.example.org"] == expected, name
    assert by_contact["reject"].status == DeliveryStatus.FAILED.value
    assert by_contact["reject"].attempts == 1
    assert "550" in (by_contact["reject"].error or "")
    assert by_contact["tempfail"].attempts == 3
    for name in ("busy", "hang", "drop"):
        assert by_contact[name].status == DeliveryStatus.SENT.value, name
        assert by_contact[name].attempts == 2, name
    assert by_contact["ok"].attempts == 1

    deliveries = await published(database, DELIVERIES)
    statuses = [(d["contact_id"], d["status"]) for d in deliveries]
    assert statuses.count(("tempfail", "retrying")) == 2
    (hung,) = [d for d in deliveries if d["contact_id"] == "hang" and d["status"] == "retrying"]
    assert "timed out" in hung["error"]
    assert sum(1 for _, s in statuses if s == "sent") == len(BEHAVIOURS) - 1
    letters = await published(database, dlq(DELIVERIES))
    assert [letter["key"] for letter in letters] == [by_contact["reject"].key]
    counted = {outcome: _counted(outcome) - before[outcome] for outcome in before}
    assert counted == {"sent": len(BEHAVIOURS) - 1, "retrying": 5, "failed": 1}
    assert '"contact_id":"reject"' in letters[0]["payload"]


async def test_a_server_that_never_greets_leaves_the_mail_retrying_then_failed(
    tmp_path: Path, database: Database
) -> None:
    port = free_port()
    settings = settings_for(
        tmp_path,
        port,
        directory_yaml([contact("mute", "en")]),
        smtp={"timeout_s": 0.2},
        max_attempts=2,
    )
    with silent_server(port):
        async with running_notifier(settings, database) as notifier:
            await notifier.handlers.on_activation(activation())
            await until(lambda: all_settled(database, 1), timeout=15, what="gave up")
    (row,) = (await rows(database)).values()
    assert row.status == DeliveryStatus.FAILED.value
    assert row.attempts == 2
    assert "timed out" in (row.error or "")
    assert len(await published(database, dlq(DELIVERIES))) == 1
