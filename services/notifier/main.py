"""Composition root of the notifier service."""

from __future__ import annotations

import asyncio

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.pages import Page
from schemas.topics import ACKS, ACTIVATIONS, PAGES
from services.common.logs import get_logger
from services.common.service import ServiceContext
from services.notifier.chat import ChatChannel
from services.notifier.compose import Composer
from services.notifier.directory import DirectoryFile
from services.notifier.dispatcher import Dispatcher, OutcomeWriter, RetryScheduler
from services.notifier.handlers import Handlers
from services.notifier.jobs import Outcome
from services.notifier.rendering import Renderer
from services.notifier.smtp_pool import SmtpPool

log = get_logger(__name__)


async def setup(ctx: ServiceContext) -> None:
    """Register the notifier's handlers and background tasks."""
    settings = ctx.settings.notifier
    directory = DirectoryFile(ctx.settings.members_file)
    composer = Composer(settings)
    smtp = SmtpPool(settings.smtp)

    def written(outcomes: list[Outcome]) -> None:
        dispatcher.release(o.job.key for o in outcomes)
        ctx.relay.kick()
        if any(o.next_attempt_at is not None for o in outcomes):
            scheduler.wake()

    writer = OutcomeWriter(ctx.transaction, ctx.routes.consumer, on_written=written)
    dispatcher = Dispatcher(
        settings,
        smtp=smtp,
        chat=ChatChannel(timeout_s=settings.smtp.timeout_s),
        sender=composer.sender,
        report=writer.put,
    )
    scheduler = RetryScheduler(ctx.db.sessions, dispatcher)
    handlers = Handlers(ctx, directory, Renderer(), composer, dispatcher)
    ctx.subscribe(ACTIVATIONS, Activation, handlers.on_activation)
    ctx.subscribe(PAGES, Page, handlers.on_page)
    ctx.subscribe(ACKS, AckEvent, handlers.on_ack)

    async def warm() -> None:
        opened = await smtp.warm()
        log.info(
            "notifier_ready",
            smtp_connections=opened,
            organisations=len(directory.current().organisations),
        )

    async def deliver() -> None:
        try:
            await asyncio.gather(warm(), writer.run(), scheduler.run())
        finally:
            await dispatcher.drain(timeout_s=settings.smtp.timeout_s)
            await writer.flush()
            await smtp.close()

    ctx.background.append(deliver)
