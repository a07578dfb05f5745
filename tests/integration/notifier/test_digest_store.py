"""The digest's storage on SQLite and PostgreSQL: kept once, given to one digest, forgotten once sent."""

from __future__ import annotations

from datetime import date

from schemas.activations import Level
from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind
from services.common.db import Database
from services.common.presence import ProcessPresence
from services.notifier import digest_store
from services.notifier.delivery_log import DeliveryLog
from services.notifier.jobs import Job
from tests.integration.notifier.harness import activation

SERVICE = "notifier"
DAI = ("org-dai", "dai")


async def test_an_alert_is_kept_once_given_to_its_digest_and_forgotten_once_sent(
    database: Database,
) -> None:
    quake, flood = activation(Level.STANDBY), activation(Level.WATCH)
    now = utcnow()
    async with database.transaction() as session:
        await digest_store.add_items(session, quake, [DAI, ("org-ivy", "ivy")], now)
        await digest_store.add_items(session, quake, [DAI], now)  # redelivered: nothing new
        await digest_store.add_items(session, flood, [DAI], now)
    async with database.transaction() as session:
        assert len(await digest_store.waiting(session)) == 3
        digest = digest_store.digest_id("org-dai/dai", date(2026, 12, 8))
        for org, contact, activation_id, _ in await digest_store.waiting(session):
            if (org, contact) == DAI:
                await digest_store.assign(session, (org, contact, activation_id), digest)
    async with database.sessions() as session:
        unsent = await digest_store.unrecorded(session)
        assert not await digest_store.recorded(session, digest)
    assert list(unsent) == [digest]
    org, contact, alerts = unsent[digest]
    assert (org, contact) == DAI
    assert {a.activation_id for a in alerts} == {quake.activation_id, flood.activation_id}

    presence = ProcessPresence(database)
    await presence.start()
    try:
        job = Job(
            key=f"digest:{digest}:org-dai/dai:email",
            kind=DeliveryKind.DIGEST,
            channel=Channel.EMAIL,
            activation_id=digest,
            incident_id=None,
            organisation_id="org-dai",
            contact_id="dai",
            recipient="dai@example.jp",
            message_id="<d@standby.local>",
            headers=b"To: dai\r\n",
            body_id="b",
            body=b"digest",
        )
        await DeliveryLog(database).record(
            [job],
            {"b": ("s", b"digest")},
            stored=set(),
            owner=presence.id,
        )
    finally:
        await presence.stop()
    async with database.transaction() as session:
        assert await digest_store.recorded(session, digest)
        assert await digest_store.unrecorded(session) == {}
        await digest_store.forget_recorded(session)
    async with database.sessions() as session:
        # Only ivy's alert is left, waiting for ivy's digest.
        assert [(o, c) for o, c, _, _ in await digest_store.waiting(session)] == [
            ("org-ivy", "ivy")
        ]
        assert await digest_store.unrecorded(session) == {}
