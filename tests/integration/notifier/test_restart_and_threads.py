"""A restarted notifier finishes what it stored and sends nothing twice; incidents are threads."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from schemas.acks import AckState
from schemas.activations import Level
from services.common.db import Database
from services.notifier.delivery_log import DeliveryLog
from services.notifier.jobs import Job
from services.notifier.mime import message_id_for
from services.notifier.report import delivery_lines
from tests.conftest import free_port
from tests.integration.notifier.harness import (
    activation,
    all_sent,
    directory_yaml,
    mailing_notifier,
    rows,
    running_notifier,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import smtp_server
from tests.messages import ack_of

SERVICE = "notifier"

CONTACTS = [
    ("ok1", "en", "ok1@members.example.org"),
    ("ok2", "ja", "ok2@members.example.jp"),
    ("ok3", "en", "ok3@members.example.org"),
]


async def test_a_notifier_that_died_after_recording_sends_the_stored_mails_once_on_restart(
    tmp_path: Path, database: Database
) -> None:
    port = free_port()
    settings = settings_for(tmp_path, port, directory_yaml(CONTACTS))
    alert = activation()
    with smtp_server(port) as server:
        async with running_notifier(settings, database) as crashed:
            # The process dies between the commit and the first send.
            def lost(jobs: object) -> None:
                assert isinstance(jobs, list) and all(isinstance(j, Job) for j in jobs)

            crashed.dispatcher.submit = lost  # type: ignore[method-assign]
            await crashed.handlers.on_activation(alert)
        assert sum(server.accepted.values()) == 0
        assert {r.status for r in (await rows(database)).values()} == {"pending"}

        async with running_notifier(settings, database) as restarted:
            await until(lambda: all_sent(database, len(CONTACTS)), what="stored mails sent")
            # The broker redelivers the activation after the restart: nothing more goes out.
            await restarted.handlers.on_activation(alert)
            await restarted.handlers.on_activation(alert.model_copy(update={"id": uuid4()}))
            await until(lambda: not restarted.dispatcher.in_flight, what="idle")
            await restarted.scheduler.run_once()
            await until(lambda: not restarted.dispatcher.in_flight, what="idle again")
    assert dict(server.accepted) == {email: 1 for _, _, email in CONTACTS}
    report = await delivery_lines(
        database, activation=str(alert.activation_id)[:8], status="sent", limit=10
    )
    assert len(report) == 3 and all(" sent " in line and " 1x " in line for line in report)
    assert not any("@" in line for line in report)


async def test_upgrade_and_stand_down_reply_in_the_first_alerts_thread_for_each_contact(
    tmp_path: Path, database: Database
) -> None:
    incident = uuid4()
    standby = activation(Level.STANDBY, incident_id=incident)
    upgrade = activation(Level.ACTIVATE, incident_id=incident, previous=Level.STANDBY)
    # A programme's launch is told by the roll-call's notices: duty's acknowledgement of it
    # tells nobody (it would tell every member to deploy, the declining ones too).
    launch = ack_of(upgrade, AckState.LAUNCHED, officer_id="aoki")
    stand_down = ack_of(
        upgrade,
        AckState.STOOD_DOWN,
        officer_id="aoki",
        note="Internal: the government observer is not to be told yet.",
        member_message="Stand the assessment teams down.",
    )
    async with mailing_notifier(
        tmp_path, database, directory_yaml(CONTACTS, min_level="standby")
    ) as (notifier, server):
        await notifier.handlers.on_activation(standby)
        await until(lambda: all_sent(database, 3), what="standby alerts")
        await notifier.handlers.on_activation(upgrade)
        await until(lambda: all_sent(database, 6), what="upgrade alerts")
        await notifier.handlers.on_ack(launch)
        await notifier.handlers.on_ack(stand_down)
        await until(lambda: all_sent(database, 9), what="stand-down notices")

    for cid, lang, email in CONTACTS:
        first, second, third = server.messages_to(email)
        root = message_id_for(
            f"alert:{standby.activation_id}:org-{cid}/{cid}:email", "standby.local"
        )
        assert first["Message-ID"] == root
        assert "In-Reply-To" not in first
        for later in (second, third):
            assert later["In-Reply-To"] == root
            assert later["References"] == root
        if lang == "ja":
            assert "待機" in str(first["Subject"])
            assert "発動" in str(second["Subject"])
            assert "待機解除" in str(third["Subject"])
        else:
            assert str(first["Subject"]).startswith("[standby] STANDBY | EQ | PHL | 2026-11-23 | ")
            assert str(second["Subject"]).startswith(
                "[standby] ACTIVATE | EQ | PHL | 2026-11-23 | "
            )
            assert str(third["Subject"]).startswith(
                "[standby] STAND DOWN | EQ | PHL | 2026-11-23 | "
            )
            body = third.get_body(("plain",))
            assert body is not None and "Stand the assessment teams down." in body.get_content()
        # The officers' internal note never reaches a member, in any part of any mail.
        for mail in (first, second, third):
            for part in mail.walk():
                if part.get_content_maintype() == "text":
                    assert "government observer" not in part.get_content()


async def test_stopping_while_mails_are_on_the_wire_records_them_so_a_restart_sends_nothing_again(
    tmp_path: Path, database: Database
) -> None:
    port = free_port()
    slow = [(f"slow{i}", "en", f"slow{i}@members.example.org") for i in range(4)]
    settings = settings_for(tmp_path, port, directory_yaml(slow))
    alert = activation()
    with smtp_server(port) as server:
        async with running_notifier(settings, database) as notifier:
            await notifier.handlers.on_activation(alert)
            assert notifier.dispatcher.in_flight  # stopping now, mid-send
        assert sum(server.accepted.values()) == len(slow)
        assert {r.status for r in (await rows(database)).values()} == {"sent"}

        async with running_notifier(settings, database) as restarted:
            await restarted.scheduler.run_once()
            await restarted.handlers.on_activation(alert.model_copy(update={"id": uuid4()}))
            await until(lambda: not restarted.dispatcher.in_flight, what="idle")
    assert dict(server.accepted) == {email: 1 for _, _, email in slow}


async def test_a_crash_between_chunks_of_a_long_list_tells_each_contact_exactly_once(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = [
        (f"ok{i:03d}", "en" if i % 2 else "ja", f"ok{i:03d}@members.example.org") for i in range(60)
    ]
    alert = activation()
    real_record = DeliveryLog.record
    calls = {"n": 0}

    async def crash_on_second_chunk(*args: Any, **kwargs: Any) -> list[Job]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the process died between two chunks")
        return await real_record(*args, **kwargs)

    async with mailing_notifier(tmp_path, database, directory_yaml(many)) as (notifier, server):
        monkeypatch.setattr(DeliveryLog, "record", crash_on_second_chunk)
        with pytest.raises(RuntimeError, match="between two chunks"):
            await notifier.handlers.on_activation(alert)
        # The first chunk is out already; the message was not claimed, so it comes again.
        await notifier.handlers.on_activation(alert)
        await until(lambda: all_sent(database, len(many)), what="every contact told")
        await notifier.handlers.on_activation(alert)  # a third delivery changes nothing
    assert len(server.accepted) == len(many)
    assert set(server.accepted.values()) == {1}
