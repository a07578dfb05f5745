"""The notifier's handlers: activation → member alerts, page → duty officer, ack → follow-ups.

Each handler parses its message, asks the domain whom to tell (`recipients.py`), renders,
and hands the deliveries over: recorded chunk by chunk in the delivery log, each chunk given
to the dispatcher once its rows are committed, the message claimed after the last chunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckEvent, AckState
from schemas.activations import Activation, IncidentSummary, Level
from schemas.base import utcnow
from schemas.deliveries import DeliveryKind
from schemas.members import Language, MemberDirectory
from schemas.pages import Page
from schemas.responses import CoordinationNotice, NoticeKind
from schemas.vocabulary import Notice
from services.common.countries import regions_of
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.outbox import seen
from services.common.service import ServiceContext
from services.notifier import digest_store, store
from services.notifier.compose import Batch, Composer, Target, targets_of
from services.notifier.delivery_log import DeliveryLog
from services.notifier.dispatcher import Dispatcher
from services.notifier.jobs import Job
from services.notifier.map_image import Rasterise, alert_images, in_thread
from services.notifier.officers import OfficerFile
from services.notifier.personal import Personaliser
from services.notifier.preference_store import all_preferences
from services.notifier.recipients import alert_audience, notice_audience, organisations_audience
from services.notifier.rendering import Rendered, Renderer
from services.notifier.wording import language_of

log = get_logger(__name__)

# A programme's launch and close are told by the roll-call's notices, which follow the
# answers (participants deploy, the declining and observers are never told to): only a
# stand-down is duty's own notice to members.
_NOTICES = {AckState.STOOD_DOWN: Notice.STOOD_DOWN}
_CLOSING = frozenset({AckState.LAUNCHED, AckState.CLOSED, AckState.STOOD_DOWN})


Delivered = Activation | Page | AckEvent | CoordinationNotice


@dataclass(frozen=True)
class Mailing:
    """What one message sends: its deliveries' kind and scope, whom to, rendered how."""

    scope: str
    kind: DeliveryKind
    targets: Sequence[Target]
    rendered: dict[Language, Rendered]
    reply_to: str | None = None
    # Gives a target its own answer links and matches, chunk by chunk as composed.
    personalise: Callable[[Target], Target] | None = None
    # Target ref -> the end of its quiet hours: recorded due then, not sent now.
    held: Mapping[str, datetime] = field(default_factory=dict)
    # Runs in the claiming transaction (an alert's digest items).
    on_claim: Callable[[AsyncSession], Awaitable[None]] | None = None

    def holds(self, jobs: Sequence[Job]) -> dict[str, datetime]:
        """The held jobs' keys, each with the time its contact's quiet hours end."""
        if not self.held:
            return {}
        return {
            j.key: self.held[ref]
            for j in jobs
            if (ref := f"{j.organisation_id}/{j.contact_id}") in self.held
        }


class Prior(NamedTuple):
    """What the delivery log already holds for a message: read before its deliveries are."""

    seen: bool  # the message was handled before: nothing to do
    roots: dict[str, str]
    stored: set[str]


class Told(NamedTuple):
    """The contacts told about an incident who may be told more, and the directory read."""

    directory: MemberDirectory
    targets: list[Target]


@dataclass
class Handlers:
    ctx: ServiceContext
    directory: MemberDirectoryFile
    renderer: Renderer
    composer: Composer
    dispatcher: Dispatcher
    officers: OfficerFile
    delivery_log: DeliveryLog
    personaliser: Personaliser | None = None
    clock: Callable[[], datetime] = utcnow
    # How alert maps become PNG: the notifier's child process (`rasteriser.py`).
    rasterise: Rasterise = in_thread

    async def on_activation(self, activation: Activation) -> None:
        """Alert every subscribed contact of the incident, each in their own language."""
        if activation.retracted:  # its source withdrew it: those told are told so
            return await self._withdrawn(activation)
        directory = self.directory.current()
        summary = activation.summary
        async with self.ctx.db.sessions() as session:
            prefs = await all_preferences(session)
        now = self.clock()
        audience = alert_audience(
            directory,
            level=activation.level,
            summary=summary,
            preferences=prefs,
            now=now,
            regions_of=regions_of,
            platform_zone=self.renderer.zone,
        )
        targets = targets_of(audience.addressees)
        # The delivery log is read while the maps are drawn (30-100 ms under load, in child
        # processes): the first mail waits for the slower of the two, not for both in turn
        # (decision 0742).
        images, prior = await asyncio.gather(
            alert_images(summary, {t.language for t in targets}, self.rasterise),
            self._prior(activation),
        )
        rendered = {
            lang: self.renderer.member_alert(lang, activation, directory.secretariat, image)
            for lang, image in images.items()
        }
        digest = audience.digest

        async def into_digests(session: AsyncSession) -> None:
            await digest_store.add_items(session, activation, digest, now)

        await self._deliver(
            activation,
            Mailing(
                scope=f"alert:{activation.activation_id}",
                kind=DeliveryKind.MEMBER_ALERT,
                targets=targets,
                rendered=rendered,
                reply_to=self.reply_to(directory),
                # From standby up members are asked whether they can respond: their own links.
                personalise=self._personalise(directory, activation.incident_id, summary)
                if activation.level >= Level.STANDBY
                else None,
                held=audience.held,
                on_claim=into_digests if digest else None,
            ),
            prior,
        )

    def _personalise(
        self,
        directory: MemberDirectory,
        incident_id: UUID,
        summary: IncidentSummary,
        *,
        reminder: bool = False,
    ) -> Callable[[Target], Target] | None:
        """Give a target its own answer links and matches (done chunk by chunk, as composed)."""
        personaliser = self.personaliser
        if personaliser is None:
            return None

        # Looked up once per recipient: a scan of the directory each time cost ~20 µs at 500
        # organisations.
        contacts = {(o.id, c.id): (o, c) for o in directory.organisations for c in o.contacts}

        def personal(target: Target) -> Target:
            found = contacts.get((target.organisation_id or "", target.contact_id))
            if found is None:
                return target
            org, contact = found
            block = personaliser.block(
                target.language, org, contact, incident_id, summary, reminder=reminder
            )
            return replace(target, personal=block)

        return personal

    def reply_to(self, directory: MemberDirectory) -> str | None:
        """Send members' replies to the secretariat: the setting, else the directory's desk."""
        desk = directory.secretariat.email if directory.secretariat else None
        return self.composer.settings.reply_to or desk

    async def on_page(self, page: Page) -> None:
        """Page the duty officer by email and chat, in the officer's language; member work
        waits meanwhile (decision 0740)."""
        with self.dispatcher.page_first.page():
            await self._page(page)

    async def _page(self, page: Page) -> None:
        language = language_of(page.target.language)
        # The page names the officer; how to reach them is the rota's word, read here, so
        # chat tokens never cross the broker (decision 0004).
        officer = self.officers.officer(page.target.officer_id)
        if officer is None:
            log.error(
                "page_officer_not_in_rota",
                activation_id=str(page.activation_id),
                officer=page.target.officer_id,
            )
        target = Target(
            ref=f"officer:{page.target.officer_id}",
            organisation_id=None,
            contact_id=page.target.officer_id,
            name=page.target.name,
            language=language,
            email=officer.email if officer else None,
            apprise_urls=officer.apprise_urls if officer else [],
        )
        await self._deliver(
            page,
            Mailing(
                scope=f"page:{page.page_id}",
                kind=DeliveryKind.PAGE,
                targets=[target],
                rendered={language: self.renderer.page(language, page)},
            ),
        )

    async def on_ack(self, ack: AckEvent) -> None:
        """Tell the members already told about the incident to stand down; a launched (or
        closed) programme is told by the roll-call's notices, named by organisation, so the
        delivery log is not needed for it either."""
        notice = _NOTICES.get(ack.state)
        if notice is None:
            async with self.ctx.work() as work:
                await work.claim(ack)
            if ack.state not in _CLOSING:
                return
        else:
            await self._tell(ack, notice)
        # Closed: the incident's delivery log may go on the retention schedule from now.
        async with self.ctx.db.transaction() as session:
            await store.close_incident(session, str(ack.incident_id), utcnow())

    async def _withdrawn(self, activation: Activation) -> None:
        """Tell every contact told about the incident that its source withdrew it, once each."""
        told = await self._told(str(activation.incident_id))

        async def out_of_digests(session: AsyncSession) -> None:
            await digest_store.drop_waiting(session, str(activation.incident_id))

        await self._send_notice(
            activation, Notice.WITHDRAWN, told, activation.summary, on_claim=out_of_digests
        )

    async def _told(self, incident_id: str) -> Told:
        """The directory, and the contacts told about an incident who may be told more."""
        directory = self.directory.current()
        async with self.ctx.db.sessions() as session:
            told = await store.told_contacts(session, incident_id)
            prefs = await all_preferences(session)
        addressees, gone = notice_audience(directory, told, prefs, utcnow())
        for org_id, contact_id in gone:
            log.warning("told_contact_left_directory", organisation=org_id, contact=contact_id)
        return Told(directory, targets_of(addressees))

    async def _tell(self, ack: AckEvent, notice: Notice) -> None:
        told = await self._told(str(ack.incident_id))
        # Duty puts the incident's summary on every acknowledgement it publishes.
        summary = ack.summary
        if summary is None or not told.targets:
            log.info(
                "ack_notice_nobody_to_tell",
                activation_id=str(ack.activation_id),
                state=ack.state.value,
            )
            async with self.ctx.work() as work:
                await work.claim(ack)
                return
        # Only the message written for members: the officer's internal note never leaves duty.
        await self._send_notice(ack, notice, told, summary, ack.member_message)

    async def _send_notice(
        self,
        message: Delivered,
        notice: Notice,
        told: Told,
        summary: IncidentSummary,
        member_message: str | None = None,
        on_claim: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> None:
        """Send a notice to the contacts told, each in their language. Scoped by the notice and
        the activation: redelivered, the message finds its deliveries recorded."""
        secretariat = told.directory.secretariat
        rendered = {
            lang: self.renderer.notice(lang, notice, summary, secretariat, member_message)
            for lang in {t.language for t in told.targets}
        }
        mailing = Mailing(
            scope=f"{notice.value}:{message.activation_id}",
            kind=DeliveryKind.ACK_NOTICE,
            targets=told.targets,
            rendered=rendered,
            reply_to=self.reply_to(told.directory),
            on_claim=on_claim,
        )
        await self._deliver(message, mailing)

    async def on_coordination(self, notice: CoordinationNotice) -> None:
        """Tell the organisations a notice names: a reminder, the survey decision, the launch."""
        directory = self.directory.current()
        addressees, missing = organisations_audience(directory, notice.organisations)
        for org_id in missing:
            log.warning("coordination_organisation_left_directory", organisation=org_id)
        targets = targets_of(addressees)
        names = {
            lang: {
                org.id: org.name_ja if lang is Language.JA else org.name_en
                for org in directory.organisations
            }
            for lang in {t.language for t in targets}
        }
        rendered = {
            lang: self.renderer.coordination(lang, notice, names[lang], directory.secretariat)
            for lang in names
        }
        reminder = notice.kind is NoticeKind.REMINDER
        await self._deliver(
            notice,
            Mailing(
                scope=f"{notice.kind.value}:{notice.notice_id}",
                kind=DeliveryKind.COORDINATION,
                targets=targets,
                rendered=rendered,
                reply_to=self.reply_to(directory),
                personalise=self._personalise(
                    directory, notice.incident_id, notice.summary, reminder=True
                )
                if reminder
                else None,
            ),
        )

    async def _deliver(
        self, message: Delivered, mailing: Mailing, prior: Prior | None = None
    ) -> None:
        """Record and hand over a message's deliveries chunk by chunk, then claim it.

        The first recipients are composed, recorded and handed to the dispatcher before the
        rest are even composed, so the first mail leaves in milliseconds whatever the list's
        length, and composing overlaps sending. The message is claimed only after the last
        chunk is recorded: a crash in between redelivers it, and recording skips the keys
        already stored, so nobody is told twice.
        """
        activation_id, incident_id = str(message.activation_id), str(message.incident_id)
        if prior is None:
            prior = await self._prior(message)
        if prior.seen:
            log.info("duplicate_message_skipped", topic=message.topic, id=str(message.id))
            return
        new_roots, planned = await self._hand_over(message, mailing, prior.roots, prior.stored)
        async with self.ctx.work() as work:
            if not await work.claim(message):
                return
            await store.add_threads(work.session, incident_id, new_roots)
            if mailing.on_claim is not None:
                await mailing.on_claim(work.session)
        log.info(
            "deliveries_planned",
            activation_id=activation_id,
            kind=mailing.kind.value,
            targets=len(mailing.targets),
            new=planned,
            held=len(mailing.held),
        )

    async def _prior(self, message: Delivered) -> Prior:
        """Whether the message was handled, the incident's threads and the keys recorded."""
        async with self.ctx.db.sessions() as session:
            if await seen(session, message.id):
                return Prior(True, {}, set())
            roots = await store.thread_roots(session, str(message.incident_id))
            stored = await store.recorded_keys(session, str(message.activation_id))
        return Prior(False, roots, stored)

    async def _hand_over(
        self, message: Delivered, mailing: Mailing, roots: dict[str, str], stored: set[str]
    ) -> tuple[dict[str, str], int]:
        """Compose, record and submit the targets chunk by chunk; return new threads and count."""
        new_roots: dict[str, str] = {}
        planned = 0
        personalise = mailing.personalise
        sizes = (_FIRST_PERSONAL_CHUNK, _PERSONAL_CHUNK) if personalise else (_FIRST_CHUNK, _CHUNK)
        for part in _chunks(mailing.targets, *sizes):
            if mailing.kind is not DeliveryKind.PAGE:
                await self.dispatcher.page_first.members_may_go()
            batch: Batch = self.composer.compose(
                scope=mailing.scope,
                kind=mailing.kind,
                activation_id=str(message.activation_id),
                incident_id=str(message.incident_id),
                targets=[personalise(t) for t in part] if personalise else part,
                rendered=mailing.rendered,
                roots=roots,
                reply_to=mailing.reply_to,
            )
            new_roots.update(batch.new_roots)
            hold = mailing.holds(batch.jobs)
            fresh = await self.record(batch, stored, held=hold)
            planned += len(fresh)
            self.dispatcher.submit([j for j in fresh if j.key not in hold])
        return new_roots, planned

    async def record(
        self, batch: Batch, stored: set[str], *, held: Mapping[str, datetime] | None = None
    ) -> list[Job]:
        """Store one chunk's new jobs (committed on return) and hold them for the dispatcher.

        Jobs whose keys are in `held` are stored due at that time and not held: the retry
        scan sends them when their time comes.
        """
        fresh: list[Job] = []
        held_now: set[str] = set()
        recorded = False
        # Rows are recorded as this process's: its presence must be known before they are.
        await self.dispatcher.presence.ready.wait()
        try:
            # Hold the keys before the rows are visible to the retry scheduler.
            held_now = {j.key for j in batch.jobs} - self.dispatcher.in_flight - set(held or ())
            self.dispatcher.reserve(held_now)
            fresh = await self.delivery_log.record(
                batch.jobs,
                batch.bodies,
                stored=stored,
                owner=self.dispatcher.presence.id,
                held=held,
            )
            recorded = True
        finally:
            # Keys of rows that now exist stay held until their outcome is stored.
            self.dispatcher.release(held_now - {j.key for j in fresh} if recorded else held_now)
        return fresh


_FIRST_CHUNK = 20
_CHUNK = 500
# A personal body costs ~0.15 ms to render and build: 20 keep the event loop free to read
# the server's replies and to mark what was sent while the rest is composed.
_PERSONAL_CHUNK = 20
# The first mail leaves once 5 own bodies are composed, not 20, and the loop is that much
# sooner free for a page that arrived meanwhile (decision 0740).
_FIRST_PERSONAL_CHUNK = 5


def _chunks(
    targets: Sequence[Target], first: int = _FIRST_CHUNK, size: int = _CHUNK
) -> list[Sequence[Target]]:
    """Split targets into a small first chunk and larger ones after it (at least one chunk)."""
    if len(targets) <= first:
        return [targets]
    return [targets[:first]] + [targets[i : i + size] for i in range(first, len(targets), size)]
