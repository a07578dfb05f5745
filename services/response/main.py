"""Composition root of the response service: roll-call, initial survey, programme launch."""

from __future__ import annotations

import asyncio

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.base import utcnow
from schemas.deliveries import Delivery
from schemas.topics import ACKS, ACTIVATIONS, DELIVERIES
from services.common.answer_links import answer_link_signer
from services.common.keys import key_ring
from services.common.logs import get_logger
from services.common.service import ServiceContext
from services.response import retention
from services.response.coordination import Coordinator, refresh_gauges
from services.response.directory import Directory
from services.response.web import WebDeps, create_app, serve_web

log = get_logger(__name__)


def build(ctx: ServiceContext, directory: Directory | None = None) -> tuple[Coordinator, WebDeps]:
    """Build the coordinator and the web app's dependencies from the service context."""
    settings = ctx.settings.response
    coordinator = Coordinator(
        transaction=ctx.transaction,
        directory=directory or Directory(ctx.settings.members_file),
        settings=settings,
        clock=utcnow,
    )
    deps = WebDeps(
        coordinator=coordinator,
        signer=answer_link_signer(key_ring(ctx.settings, "answer"), settings.answer_link_ttl_hours),
        directory=coordinator.directory,
        transaction=ctx.transaction,
        identity_key=key_ring(ctx.settings, "officer_identity"),
        clock=utcnow,
    )
    return coordinator, deps


async def setup(ctx: ServiceContext) -> None:
    """Register the response service's handlers, reminder clock and pages."""
    settings = ctx.settings.response
    coordinator, deps = build(ctx)

    async def on_activation(activation: Activation) -> None:
        async with ctx.work() as work:
            if await work.claim(activation):
                await coordinator.on_activation(work.session, activation)

    async def on_delivery(delivery: Delivery) -> None:
        async with ctx.work() as work:
            if await work.claim(delivery):
                await coordinator.on_delivery(work.session, delivery)

    async def on_ack(ack: AckEvent) -> None:
        async with ctx.work() as work:
            if await work.claim(ack):
                await coordinator.on_ack(work, ack)

    ctx.subscribe(ACTIVATIONS, Activation, on_activation)
    ctx.subscribe(ACKS, AckEvent, on_ack)
    # Delivery reports are many per alert: a group of their own keeps them off the main path.
    ctx.subscribe(DELIVERIES, Delivery, on_delivery, side_group="deliveries")

    async def reminders() -> None:
        while True:
            try:
                await coordinator.send_due_reminders()
                await refresh_gauges(ctx.transaction)
            except Exception as err:  # a database hiccup must not stop the clock
                log.warning("reminder_tick_failed", error=str(err))
            await asyncio.sleep(settings.tick_s)

    async def web() -> None:
        await serve_web(create_app(deps), settings.web_host, settings.web_port)

    ctx.background.append(reminders)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    ctx.erase_personal_data(retention.PERSONAL_DATA, coordinator.directory.current)
    ctx.background.append(web)
