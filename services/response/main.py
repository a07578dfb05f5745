"""Composition root of the response service: roll-call, initial survey, programme launch."""

from __future__ import annotations

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.base import utcnow
from schemas.deliveries import Delivery
from schemas.topics import ACKS, ACTIVATIONS, DELIVERIES
from services.common.keys import key_ring
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.service import ServiceContext
from services.common.wakeup import WakeUpLoop
from services.domain.answer_links import answer_link_signer
from services.response import retention
from services.response.handlers import ResponseHandlers
from services.response.web.app import WebDeps, create_app, serve_web

log = get_logger(__name__)


def build(
    ctx: ServiceContext, directory: MemberDirectoryFile | None = None
) -> tuple[ResponseHandlers, WebDeps]:
    """Build the handlers and the web app's dependencies from the service context."""
    settings = ctx.settings.response
    handlers = ResponseHandlers(
        work=ctx.work,
        directory=directory or MemberDirectoryFile(ctx.settings.members_file),
        settings=settings,
        clock=utcnow,
    )
    deps = WebDeps(
        handlers=handlers,
        signer=answer_link_signer(key_ring(ctx.settings, "answer"), settings.answer_link_ttl_hours),
        directory=handlers.directory,
        reads=ctx.db.snapshot,
        identity_key=key_ring(ctx.settings, "officer_identity"),
        clock=utcnow,
        timezone=ctx.settings.duty.timezone,
    )
    return handlers, deps


async def setup(ctx: ServiceContext) -> None:
    """Register the response service's handlers, reminder clock and pages."""
    settings = ctx.settings.response
    handlers, deps = build(ctx)
    ctx.subscribe(ACTIVATIONS, Activation, handlers.on_activation)
    ctx.subscribe(ACKS, AckEvent, handlers.on_ack)
    # Delivery reports are many per alert: a group of their own keeps them off the main path.
    ctx.subscribe(DELIVERIES, Delivery, handlers.on_delivery, side_group="deliveries")

    async def reminder_round() -> float:
        await handlers.send_due_reminders()
        await handlers.refresh_gauges()
        return settings.tick_s

    # The common wake-up loop: a failing round (a database hiccup) is logged, never fatal.
    clock = WakeUpLoop(reminder_round, failed="reminder_tick_failed", retry_s=settings.tick_s)

    async def web() -> None:
        await serve_web(create_app(deps), settings.web_host, settings.web_port)

    ctx.background.append(clock.run)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    ctx.erase_personal_data(retention.PERSONAL_DATA, handlers.directory.current)
    ctx.background.append(web)
