"""Composition root of the notifier service."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.base import utcnow
from schemas.pages import Page
from schemas.responses import CoordinationNotice
from schemas.topics import ACKS, ACTIVATIONS, COORDINATION, PAGES
from services.common.keys import key_ring
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.presence import ProcessPresence
from services.common.service import ServiceContext
from services.domain.answer_links import answer_link_signer
from services.notifier import retention
from services.notifier.chat import ChatChannel
from services.notifier.compose import Composer
from services.notifier.delivery_log import DeliveryLog
from services.notifier.digests import DigestSender
from services.notifier.dispatcher import Dispatcher, RetryScheduler
from services.notifier.handlers import Handlers
from services.notifier.jobs import Attempt
from services.notifier.link_mail import LinkMail
from services.notifier.officers import OfficerFile
from services.notifier.outcomes import OutcomeWriter
from services.notifier.personal import Personaliser
from services.notifier.preferences import PreferenceLinks
from services.notifier.rasteriser import Rasteriser
from services.notifier.rendering import Renderer
from services.notifier.smtp_pool import SmtpPool
from services.notifier.web.app import PreferenceDeps, create_app, serve_preferences

log = get_logger(__name__)


@dataclass
class Notifier:
    """The notifier's parts, built once per process."""

    handlers: Handlers
    dispatcher: Dispatcher
    writer: OutcomeWriter
    scheduler: RetryScheduler
    smtp: SmtpPool
    directory: MemberDirectoryFile
    presence: ProcessPresence
    drain_timeout_s: float
    preferences: FastAPI
    digests: DigestSender
    rasteriser: Rasteriser
    serve_preferences: Callable[[], Awaitable[None]] | None = None
    # Set once the templates are compiled and the SMTP pool is open.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Warm the SMTP pool, write outcomes, retry due jobs and serve preference pages."""
        try:
            await self.presence.start()
            work: list[Awaitable[None]] = [
                self._warm(),
                self.writer.run(),
                self.scheduler.run(),
                self.presence.run(),
                self._digests(),
            ]
            if self.serve_preferences is not None:
                work.append(self.serve_preferences())
            await asyncio.gather(*work)
        finally:
            await self.dispatcher.drain(timeout_s=self.drain_timeout_s)
            await self.writer.flush()
            await self.smtp.close()
            await self.rasteriser.stop()
            # Last: until now a replica must not take over what this process still holds.
            await self.presence.stop()

    async def _digests(self) -> None:
        # Digests are recorded as this process's: its presence must be known first.
        await self.presence.ready.wait()
        await self.digests.run()

    async def _warm(self) -> None:
        for _ in self.handlers.renderer.compiling():
            # 1-2 s of CPU on a busy machine: a restarted notifier's group join, waiting on the
            # broker meanwhile, takes its replies between templates (decision 0722).
            await asyncio.sleep(0)
        links = self.handlers.composer.links
        if links is not None:
            # Each contact's preference link is signed once per process (~30 µs each): now,
            # rather than in the first fan-out, mail by mail.
            for org in self.directory.current().organisations:
                for contact in org.contacts:
                    links.token(org.id, contact.id, contact.email)
        opened, _ = await asyncio.gather(self.smtp.warm(), self.rasteriser.start())
        # What is loaded by now (modules, templates, the directory) lives as long as the
        # process: out of the collector's way, a fan-out's full collections take ~1 ms, not
        # 100-180 ms of the event loop. Garbage is collected first so none is kept for good.
        gc.collect()
        gc.freeze()
        self.ready.set()
        log.info(
            "notifier_ready",
            smtp_connections=opened,
            organisations=len(self.directory.current().organisations),
        )


def build(ctx: ServiceContext, clock: Callable[[], datetime] = utcnow) -> Notifier:
    """Build the notifier from its settings; no I/O beyond reading the member directory and rota.

    `clock` is when quiet hours and digest hours are judged (tests move it).
    """
    settings = ctx.settings.notifier
    directory = MemberDirectoryFile(ctx.settings.members_file)
    links = PreferenceLinks(
        key_ring(ctx.settings, "preference"),
        settings.public_url,
        ttl_days=settings.preference_link_ttl_days,
    )
    composer = Composer(settings, links)
    smtp = SmtpPool(settings.smtp)
    presence = ProcessPresence(ctx.db)
    delivery_log = DeliveryLog(ctx.db)
    writer, dispatcher, scheduler = _sending(ctx, smtp, presence, delivery_log, clock)
    renderer = Renderer(preferences_url=f"{links.base}/m", timezone=ctx.settings.duty.timezone)
    rasteriser = Rasteriser()
    handlers = Handlers(
        ctx=ctx,
        directory=directory,
        renderer=renderer,
        composer=composer,
        dispatcher=dispatcher,
        officers=OfficerFile(ctx.settings.duty.rota_file),
        delivery_log=delivery_log,
        personaliser=_personaliser(ctx, renderer),
        clock=clock,
        rasterise=rasteriser.png,
    )
    preferences = _preference_pages(ctx, links, directory, smtp, composer)

    async def serve() -> None:
        await serve_preferences(preferences, settings.preferences_host, settings.preferences_port)

    return Notifier(
        preferences=preferences,
        digests=DigestSender(ctx.db, handlers, clock, every_s=settings.digest_interval_s),
        serve_preferences=serve if settings.preferences_port else None,
        handlers=handlers,
        rasteriser=rasteriser,
        dispatcher=dispatcher,
        writer=writer,
        scheduler=scheduler,
        smtp=smtp,
        directory=directory,
        presence=presence,
        drain_timeout_s=settings.smtp.timeout_s,
    )


def _sending(
    ctx: ServiceContext,
    smtp: SmtpPool,
    presence: ProcessPresence,
    delivery_log: DeliveryLog,
    clock: Callable[[], datetime],
) -> tuple[OutcomeWriter, Dispatcher, RetryScheduler]:
    """The send path: the dispatcher, the writer of its outcomes, and the retry scan."""
    settings = ctx.settings.notifier

    def written(outcomes: list[Attempt]) -> None:
        dispatcher.release(o.job.key for o in outcomes)
        ctx.relay.kick()
        if any(o.next_attempt_at is not None for o in outcomes):
            scheduler.wake()

    writer = OutcomeWriter(delivery_log, ctx.routes.consumer, on_written=written)
    dispatcher = Dispatcher(
        settings,
        smtp=smtp,
        chat=ChatChannel(timeout_s=settings.chat_timeout_s),
        report=writer.put,
        presence=presence,
    )
    writer.outstanding = lambda: dispatcher.unmarked.held
    scheduler = RetryScheduler(ctx.db.transaction, dispatcher, presence, clock=clock)
    return writer, dispatcher, scheduler


def _personaliser(ctx: ServiceContext, renderer: Renderer) -> Personaliser:
    """Each member's own answer links and matches, signed with the answer key."""
    return Personaliser(
        renderer.env,
        answer_link_signer(
            key_ring(ctx.settings, "answer"),
            ctx.settings.response.answer_link_ttl_hours,
        ),
        ctx.settings.duty.public_url,
        utcnow,
    )


def _preference_pages(
    ctx: ServiceContext,
    links: PreferenceLinks,
    directory: MemberDirectoryFile,
    smtp: SmtpPool,
    composer: Composer,
) -> FastAPI:
    """A member's own preference pages; a fresh link is mailed through the SMTP pool."""
    return create_app(
        PreferenceDeps(
            db=ctx.db,
            links=links,
            directory=directory,
            link_mail=LinkMail(composer, smtp.send),
            timezone=ctx.settings.duty.timezone,
        )
    )


async def setup(ctx: ServiceContext, clock: Callable[[], datetime] = utcnow) -> Notifier:
    """Register the notifier's handlers and background tasks."""
    notifier = build(ctx, clock)
    ctx.subscribe(ACTIVATIONS, Activation, notifier.handlers.on_activation)
    # A consumer of its own: a duty page is handled while a member fan-out is still being
    # recorded, never after it (decision 0708).
    ctx.subscribe(PAGES, Page, notifier.handlers.on_page, side_group="pages")
    ctx.subscribe(ACKS, AckEvent, notifier.handlers.on_ack)
    ctx.subscribe(COORDINATION, CoordinationNotice, notifier.handlers.on_coordination)
    ctx.background.append(notifier.run)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    ctx.erase_personal_data(retention.PERSONAL_DATA, notifier.directory.current)
    return notifier
