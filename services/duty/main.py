"""Composition root of the duty service: page on activations, keep deliveries, escalate, serve the console."""

from __future__ import annotations

from datetime import timedelta

from schemas.activations import Activation
from schemas.base import utcnow
from schemas.deliveries import Delivery
from schemas.responses import RollCallStep
from schemas.topics import ACTIVATIONS, DELIVERIES, ROLLCALL
from services.common.keys import key_ring
from services.common.members_file import load_member_directory
from services.common.service import ServiceContext
from services.duty import retention
from services.duty.clock import EscalationClock
from services.duty.console.app import ConsoleDeps, create_app, serve_console
from services.duty.console.audit import watch_rota
from services.duty.console.maps import member_directory
from services.duty.console.proxy import proxy_router
from services.duty.handlers import DutyHandlers
from services.duty.repository import EscalationRepository, Links
from services.duty.rota_source import RotaSource
from services.duty.tokens import LinkSigner


async def setup(ctx: ServiceContext) -> None:
    """Register the duty's handlers and background tasks."""
    settings = ctx.settings.duty
    rota = RotaSource(settings.rota_file)
    acknowledge = key_ring(ctx.settings, "acknowledge")
    signer = LinkSigner(acknowledge, timedelta(hours=settings.link_ttl_hours))
    duty = EscalationRepository(rota, Links(settings.public_url, signer))
    escalation_clock = EscalationClock(ctx.db, duty, ctx.work, utcnow, settings.escalation_tick_s)

    handlers = DutyHandlers(ctx.work, duty, escalation_clock, utcnow)
    ctx.subscribe(ACTIVATIONS, Activation, handlers.on_activation)
    # Delivery reports (hundreds per activation) get a consumer group of their own: in the
    # service's one group a page waited behind them, seconds under load (decision 0504).
    ctx.subscribe(DELIVERIES, Delivery, handlers.on_delivery, side_group="deliveries")
    # Roll-call steps are reports for the timeline too, many when members answer: same group.
    ctx.subscribe(ROLLCALL, RollCallStep, handlers.on_rollcall_step, side_group="deliveries")

    app = create_app(
        ConsoleDeps(
            db=ctx.db,
            duty=duty,
            signer=signer,
            rota=rota,
            settings=settings,
            work=ctx.work,
            production=ctx.settings.environment == "production",
            members=member_directory(ctx.settings.members_file),
            keys=acknowledge,
        )
    )

    # Pages other services own, on the console's origin (decision 0703).
    app.include_router(
        proxy_router(
            {"response": ctx.settings.response.upstream()},
            key_ring(ctx.settings, "officer_identity"),
            start_wait_s=settings.upstream_start_wait_s,
        )
    )

    async def console() -> None:
        await serve_console(app, settings.console_host, settings.console_port)

    async def escalations() -> None:
        await escalation_clock.run()

    async def rota_watch() -> None:
        await watch_rota(ctx.db.transaction, rota, utcnow)

    ctx.background.append(escalations)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    # Read when erasing, not at start: a duty without the member directory still pages.
    ctx.erase_personal_data(
        retention.PERSONAL_DATA, lambda: load_member_directory(ctx.settings.members_file)
    )
    # The console needs only the database: officers can acknowledge while the broker is away.
    ctx.offline.append(console)
    ctx.offline.append(rota_watch)
