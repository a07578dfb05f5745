"""A response service without a broker: its database, handlers, pages and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import select

from schemas.acks import AckState, AckVia
from schemas.activations import Activation, Level
from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus
from schemas.members import MemberDirectory
from services.common.config_files import load_yaml_model
from services.common.console_identity import OFFICER_HEADER, OfficerIdentity, sign_identity
from services.common.db import Database
from services.common.members_file import MemberDirectoryFile
from services.common.outbox import outbox
from services.common.settings import ResponseSettings
from services.common.unit_of_work import units_of_work
from services.domain.answer_links import AnswerLinkSigner
from services.response.handlers import ResponseHandlers
from services.response.web.app import WebDeps, create_app
from tests.messages import ack_of, red_quake_activation

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml"
LINK_KEY = b"k" * 32
IDENTITY_KEY = b"i" * 32
START = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def directory() -> MemberDirectory:
    return load_yaml_model(EXAMPLE, MemberDirectory)


def activation(incident_id: UUID | None = None, level: Level = Level.ACTIVATE) -> Activation:
    struck = START - timedelta(minutes=20)
    return red_quake_activation(
        struck, level, incident_id=incident_id, country_names=["Philippines"]
    )


def delivery(incident_id: UUID, organisation_id: str, contact_id: str = "c") -> Delivery:
    return Delivery(
        delivery_key=f"alert:x:{organisation_id}/{contact_id}:email",
        kind=DeliveryKind.MEMBER_ALERT,
        activation_id=uuid4(),
        incident_id=incident_id,
        organisation_id=organisation_id,
        contact_id=contact_id,
        channel=Channel.EMAIL,
        status=DeliveryStatus.SENT,
        attempts=1,
    )


def survey_form(*organisations: str, confirm: bool = True) -> dict[str, object]:
    """The officer's survey decision, 5,000,000 yen to each organisation (or its review)."""
    form: dict[str, object] = {"csrf": "csrf-token", "organisations": list(organisations)}
    form.update({f"budget_{org}": "5000000" for org in organisations})
    return {**form, "confirm": "yes"} if confirm else form


def launch_form(participants: list[str], private_jpy: int = 0) -> dict[str, object]:
    """The officer's confirmed launch of the Philippines programme."""
    return {
        "csrf": "csrf-token",
        "name_ja": "フィリピン地震被災者支援2026",
        "name_en": "Emergency Response to the 2026 Philippines Earthquake",
        "duration_months": "6",
        "participants": participants,
        "government_budget_jpy": "300000000",
        "private_budget_jpy": str(private_jpy),
        "confirm": "yes",
    }


@dataclass
class Rig:
    db: Database
    now: datetime = START
    settings: ResponseSettings = field(default_factory=ResponseSettings)

    def __post_init__(self) -> None:
        self.signer = AnswerLinkSigner(
            LINK_KEY, timedelta(hours=self.settings.answer_link_ttl_hours)
        )
        self.handlers = ResponseHandlers(
            work=units_of_work(self.db),
            directory=MemberDirectoryFile.of(directory()),
            settings=self.settings,
            clock=self.clock,
        )
        self.app = create_app(
            WebDeps(
                handlers=self.handlers,
                signer=self.signer,
                directory=self.handlers.directory,
                reads=self.db.snapshot,
                identity_key=IDENTITY_KEY,
                clock=self.clock,
            )
        )

    def clock(self) -> datetime:
        return self.now

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://console"
        )

    def officer_headers(self, officer: str = "sato", language: str = "en") -> dict[str, str]:
        identity = OfficerIdentity(officer, language, "csrf-token")
        return {OFFICER_HEADER: sign_identity(IDENTITY_KEY, identity)}

    async def open(self, orgs: list[str], act: Activation | None = None) -> Activation:
        act = act or activation()
        await self.handlers.on_activation(act)
        for org in orgs:
            await self.handlers.on_delivery(delivery(act.incident_id, org))
        return act

    async def stand_down(
        self, act: Activation, officer_id: str = "sato", via: AckVia = AckVia.CONSOLE
    ) -> None:
        """Deliver the officer's stand-down of an activation, as its `acks.v1` message."""
        ack = ack_of(act, AckState.STOOD_DOWN, via=via, officer_id=officer_id, occurred_at=self.now)
        await self.handlers.on_ack(ack)

    def link(self, act: Activation, organisation_id: str, contact_id: str) -> str:
        return self.signer.url("", act.incident_id, organisation_id, contact_id, self.now)

    async def published(self, topic: str) -> list[dict[str, Any]]:
        import json

        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
                )
            ).all()
        return [json.loads(r[0]) for r in rows]
