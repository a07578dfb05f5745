"""The demo's daily digest: one observer takes standby alerts in a digest, shown the same minute.

Before the system starts, the ministry's observer desk chooses (as on its preference page)
to take watch and standby in the daily digest; its hour is tomorrow's, so the cyclone's
standby alert waits for it. Once the scenario has run, the demo moves the desk's digest hour
to two seconds from now, as the desk could on its page, and the notifier's digest loop sends
the digest: the same path as any morning's, only sooner.
"""

from __future__ import annotations

import asyncio
import time as monotonic
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from schemas.activations import Level
from services.common.db import Database
from services.common.settings import Settings
from services.notifier.digest_store import waiting
from services.notifier.preference_store import preference_of, save_preference
from services.notifier.preferences import Preference
from services.runtime.supervisor import mail_files

ORGANISATION, CONTACT = "mofa-observer", "duty-desk"
WAIT_S = 15.0


def _database(settings: Settings) -> Database:
    return Database(
        settings.database_url_for("notifier"),
        "notifier",
        schema=settings.database_schema_for("notifier"),
    )


async def choose_digest(settings: Settings) -> None:
    """Have the observer desk take watch and standby in the digest, at an hour not yet come."""
    db = _database(settings)
    try:
        await db.migrate()
        now = datetime.now(UTC)
        # An hour ago: today's digest hour has passed, so the scenario's alerts wait for it.
        # The desk set no zone of its own: its hour is in the configured one.
        zone = ZoneInfo(settings.duty.timezone)
        hour_ago = (now - timedelta(hours=1)).astimezone(zone).time()
        preference = Preference(
            digest_levels=frozenset({Level.WATCH, Level.STANDBY}),
            digest_at=hour_ago.replace(second=0, microsecond=0),
        )
        async with db.transaction() as session:
            await save_preference(session, ORGANISATION, CONTACT, preference, now)
    finally:
        await db.dispose()


async def send_digest_now(settings: Settings, mail_dir: Path) -> list[str]:
    """Move the desk's digest hour to now and report the digest it receives."""
    db = _database(settings)
    try:
        async with db.transaction() as session:
            zone = ZoneInfo(settings.duty.timezone)
            kept = await waiting(session)
            pref = await preference_of(session, ORGANISATION, CONTACT)
            if pref is None or not any(c == CONTACT for _, c, _, _ in kept):
                return ["daily digest: no alert waited for one"]
            soon = (datetime.now(UTC) + timedelta(seconds=2)).astimezone(pref.zone(zone))
            moved = replace(pref, digest_at=soon.time().replace(microsecond=0))
            await save_preference(session, ORGANISATION, CONTACT, moved, datetime.now(UTC))
    finally:
        await db.dispose()
    deadline = monotonic.monotonic() + WAIT_S
    while monotonic.monotonic() < deadline:
        found = _digest_mail(mail_dir)
        if found is not None:
            return found
        await asyncio.sleep(0.25)
    return [f"daily digest: none arrived within {WAIT_S:.0f} s"]


def _digest_mail(mail_dir: Path) -> list[str] | None:
    for path in mail_files(mail_dir):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if not isinstance(mail, EmailMessage) or str(mail["X-Standby-Kind"] or "") != "digest":
            continue
        body = mail.get_body(preferencelist=("plain",))
        titles = [
            line.split("】", 1)[1].strip()
            for line in str(body.get_content() if body else "").splitlines()
            if line.startswith("== ") and "】" in line
        ]
        lines = [f"daily digest to {ORGANISATION}/{CONTACT}: {mail['Subject']} ({path.name})"]
        return lines + [f"  - {title[:80]}" for title in titles]
    return None
