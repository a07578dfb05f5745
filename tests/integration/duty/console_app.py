"""An in-process console over a real database, for the console and API tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from schemas.activations import Activation
from schemas.responses import Programme, RollCallStep, StepAction, StepVia
from services.common.db import Database
from services.common.outbox import outbox
from services.common.settings import DutySettings
from services.common.unit_of_work import units_of_work
from services.duty.clock import EscalationClock
from services.duty.console.app import ConsoleDeps, create_app
from services.duty.handlers import DutyHandlers
from services.duty.repository import EscalationRepository, Links
from services.duty.rota import Rota
from services.duty.tokens import LinkSigner
from tests.integration.duty.factories import NOW, PASSWORD, activation, rota_dict

BASE = "http://console.test"
PROGRAMME = Programme(
    name_ja="フィリピン地震被災者支援2026",
    name_en="Philippines Earthquake Response 2026",
    duration_months=6,
    participants=["hope-bridge"],
    government_budget_jpy=300_000_000,
    private_budget_jpy=0,
)


@dataclass
class Console:
    deps: ConsoleDeps
    client: httpx.AsyncClient

    async def page(self, activation: Activation, at: datetime = NOW) -> None:
        """Store and page an activation as the service's handler does."""
        async with self.deps.work() as work:
            work.add(await self.deps.duty.record_activation(work.session, activation, at))

    async def programme(
        self,
        activation: Activation,
        at: datetime = NOW,
        action: StepAction = StepAction.PROGRAMME_LAUNCHED,
        officer_id: str = "aoki",
    ) -> RollCallStep:
        """Deliver the roll-call's step of a programme launched (or closed) on the board, as
        `rollcall.v1` brings it to duty's handler."""
        step = RollCallStep(
            incident_id=activation.incident_id,
            activation_id=activation.activation_id,
            action=action,
            via=StepVia.CONSOLE,
            officer_id=officer_id,
            organisations=["hope-bridge"],
            programme=PROGRAMME,
            occurred_at=at,
        )
        deps = self.deps
        escalation_clock = EscalationClock(deps.db, deps.duty, deps.work, lambda: at, 1.0)
        await DutyHandlers(deps.work, deps.duty, escalation_clock, lambda: at).on_rollcall_step(
            step
        )
        return step

    async def login(self, officer_id: str = "aoki", password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/login")
        return await self.client.post(
            "/login",
            data={"officer_id": officer_id, "password": password, "csrf": csrf_of(form.text)},
        )

    async def signed_in_after_a_page(self) -> Activation:
        """Page an activate-level activation and sign aoki in: where most console tests start."""
        incoming = activation()
        await self.page(incoming)
        await self.login()
        return incoming


async def published(database: Database, topic: str) -> list[bytes]:
    """The payloads put in the outbox on a topic, in order."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
        )
        return list(rows.scalars())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def console_deps(db: Database, *, clock_now: object = None) -> ConsoleDeps:
    rota = Rota.model_validate(rota_dict())
    settings = DutySettings(public_url=BASE, signing_key=SecretStr("s" * 40))
    signer = LinkSigner(settings.signing_key.get_secret_value(), timedelta(hours=24))
    return ConsoleDeps(
        db=db,
        duty=EscalationRepository(lambda: rota, Links(BASE, signer)),
        signer=signer,
        rota=lambda: rota,
        settings=settings,
        work=units_of_work(db),
        clock=lambda: NOW + timedelta(minutes=1),
    )


def client_for(deps: ConsoleDeps) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(deps)), base_url=BASE, follow_redirects=False
    )
