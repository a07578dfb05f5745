"""The daily digest: once a day, at the contact's own hour, the alerts they chose to take so.

A round of the wake-up loop (1) gives each waiting alert to the digest of the first digest
hour after it came, once that hour has come (to the next day's if that digest is recorded
already), and (2) records and hands over every digest given alerts but not
yet in the delivery log, which is also how a digest a crash left half-made is finished. The
digest's id is one per contact and local day and its delivery key follows from it, so a
contact gets one digest a day, across restarts and replicas (decision 0402).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from schemas.activations import Activation, Level
from schemas.deliveries import DeliveryKind
from services.common.db import Database
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.common.wakeup import WakeUpLoop
from services.notifier import digest_store
from services.notifier.compose import member_target
from services.notifier.handlers import Handlers
from services.notifier.local_time import local_day
from services.notifier.personal import Personal
from services.notifier.preference_store import all_preferences
from services.notifier.preferences import NO_PREFERENCE, Preference
from services.notifier.recipients import digest_addressee

log = get_logger(__name__)


def digest_entries(alerts: Sequence[Activation]) -> list[Activation]:
    """One entry per incident, at the highest level it reached, in the order incidents came."""
    best: dict[str, Activation] = {}
    for alert in alerts:
        key = str(alert.incident_id)
        if key not in best or alert.level > best[key].level:
            best[key] = alert
    return list(best.values())


@dataclass
class DigestSender:
    """Make and send the digests that are due; run by the notifier's wake-up loop."""

    db: Database
    handlers: Handlers
    clock: Callable[[], datetime]
    every_s: float = 20.0
    _loop: WakeUpLoop = field(init=False)

    def __post_init__(self) -> None:
        self._loop = WakeUpLoop(self.run_once, failed="digest_round_failed", retry_s=self.every_s)

    async def run(self) -> None:
        """Look for due digests until cancelled."""
        await self._loop.run()

    async def run_once(self) -> float:
        """Give waiting alerts to due digests, then record and send each unrecorded digest."""
        now = self.clock()
        handlers_zone = self.handlers.renderer.zone
        async with self.db.transaction() as session:
            await digest_store.forget_recorded(session)
            prefs = await all_preferences(session)
            taken: dict[str, bool] = {}

            async def recorded(digest: str) -> bool:
                if digest not in taken:
                    taken[digest] = await digest_store.recorded(session, digest)
                return taken[digest]

            for org_id, contact_id, activation_id, came in await digest_store.waiting(session):
                ref = f"{org_id}/{contact_id}"
                preference = prefs.get(ref, NO_PREFERENCE)
                due, day = preference.digest_after(came, handlers_zone)
                digest = digest_store.digest_id(ref, day)
                # An alert that came while its day's digest was being made goes in the next.
                while await recorded(digest):
                    due, day = preference.digest_after(due, handlers_zone)
                    digest = digest_store.digest_id(ref, day)
                if due <= now:
                    await digest_store.assign(session, (org_id, contact_id, activation_id), digest)
        async with self.db.sessions() as session:
            unsent = await digest_store.unrecorded(session)
        for digest, (org_id, contact_id, alerts) in unsent.items():
            try:
                await self._send(digest, org_id, contact_id, alerts, prefs, now)
            except StandbyError as err:
                # One digest that cannot be made must not hold up the others; it is tried
                # again next round.
                log.error("digest_failed", digest=digest, contact=contact_id, error=str(err))
        return self.every_s

    async def _send(
        self,
        digest: str,
        org_id: str,
        contact_id: str,
        alerts: list[Activation],
        prefs: dict[str, Preference],
        now: datetime,
    ) -> None:
        handlers = self.handlers
        directory = handlers.directory.current()
        preference = prefs.get(f"{org_id}/{contact_id}", NO_PREFERENCE)
        addressee = digest_addressee(directory, org_id, contact_id, preference, now)
        if addressee is None:
            async with self.db.transaction() as session:
                await digest_store.drop(session, digest)
            log.info("digest_dropped", organisation=org_id, contact=contact_id, alerts=len(alerts))
            return
        org, contact, language = addressee.organisation, addressee.contact, addressee.language
        entries: list[tuple[Activation, Personal | None]] = []
        for alert in digest_entries(alerts):
            personal = (
                handlers.personaliser.block(
                    language, org, contact, alert.incident_id, alert.summary
                )
                if handlers.personaliser is not None and alert.level >= Level.STANDBY
                else None
            )
            entries.append((alert, personal))
        day = local_day(now, preference.zone(handlers.renderer.zone))
        rendered = handlers.renderer.digest(language, day, entries, directory.secretariat)
        batch = handlers.composer.compose(
            scope=f"digest:{digest}",
            kind=DeliveryKind.DIGEST,
            activation_id=digest,
            incident_id=None,
            targets=[member_target(org, contact, language)],
            rendered={language: rendered},
            # Its own thread: a digest never joins an incident's conversation.
            roots={},
            reply_to=handlers.reply_to(directory),
        )
        fresh = await handlers.record(batch, set())
        handlers.dispatcher.submit(fresh)
        log.info(
            "digest_planned",
            organisation=org_id,
            contact=contact_id,
            digest=digest,
            incidents=len(entries),
            new=len(fresh),
        )
