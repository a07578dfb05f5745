"""What every console route depends on: the duty service's parts, a session, and rendering.

Routes import from here, and `app.py` imports the routes: nothing imports back up, so the
console has no import circle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckVia
from schemas.activations import IncidentSummary, Reason
from schemas.base import utcnow
from schemas.members import MemberDirectory
from services.common.console_identity import LAYOUTS
from services.common.db import Database
from services.common.keys import derived_key
from services.common.settings import DutySettings
from services.common.unit_of_work import Work
from services.common.web_pages import page
from services.common.web_pages import templates as surface_templates
from services.domain.maps.svg import DrawnMap
from services.duty.console.auth import csrf_token, session_officer
from services.duty.console.i18n import choose_language, translator
from services.duty.console.maps import activation_map
from services.duty.console.throttle import DeviceCookies
from services.duty.console.verify_gate import VerifyGate
from services.duty.repository import EscalationRepository, StateChange
from services.duty.rota import Rota
from services.duty.states import Action
from services.duty.tokens import LinkSigner

_HERE = Path(__file__).resolve().parent


@dataclass
class ConsoleDeps:
    """What the console needs from the duty service (built in its composition root)."""

    db: Database
    duty: EscalationRepository
    signer: LinkSigner
    rota: Callable[[], Rota]
    settings: DutySettings
    work: Work  # every write: one transaction, publishing only once it commits
    clock: Callable[[], datetime] = utcnow
    production: bool = False
    # Members, plans and warehouses for the incident maps; none: maps of the incident alone.
    members: Callable[[], MemberDirectory] = MemberDirectory
    # The acknowledge key ring (retired keys first); unset: the settings' signing key alone.
    keys: list[bytes] = field(default_factory=list)
    devices: DeviceCookies = field(init=False)
    verify_gate: VerifyGate = field(default_factory=VerifyGate)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = [self.settings.signing_key.get_secret_value().encode()]
        self.devices = DeviceCookies(
            [derived_key(k.decode(), "standby.duty.device-cookie") for k in self.keys]
        )

    async def act(
        self,
        activation_id: UUID,
        action: Action,
        officer_id: str,
        via: AckVia,
        note: str | None = None,
        member_message: str | None = None,
    ) -> StateChange:
        """Take a logged-in officer's action in one unit of work, published once it commits."""
        async with self.work() as work:
            outcome = await self.duty.act(
                work.session,
                activation_id,
                action,
                officer_id,
                via,
                self.clock(),
                note,
                member_message,
            )
            work.add(outcome)
        return outcome

    @property
    def secure(self) -> bool:
        """Cookies only over TLS, and HSTS: in production, or wherever the console is https."""
        return self.production or self.settings.public_url.startswith("https://")


def deps_of(request: Request) -> ConsoleDeps:
    """Return the console's dependencies (set on the app by `create_app`)."""
    deps: ConsoleDeps = request.app.state.deps
    return deps


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads, all of it one snapshot (an activation, its
    timeline and timers as of one moment); writes go through `ConsoleDeps.work`."""
    async with deps_of(request).db.snapshot() as session:
        yield session


Deps = Annotated[ConsoleDeps, Depends(deps_of)]
ReadSession = Annotated[AsyncSession, Depends(read_session)]


def safe_next(target: str | None) -> str:
    """Allow only local redirect targets (no open redirect through `next`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def templates() -> Jinja2Templates:
    return surface_templates(_HERE / "templates", LAYOUTS)


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the request's language, officer, CSRF token and time zone."""
    deps = deps_of(request)
    rota = deps.rota()
    officer_id = session_officer(request)
    officer = rota.officer(officer_id) if officer_id else None
    language = choose_language(request, officer.language.value if officer else None)
    words = translator(language)
    # The configured zone, the one every page and mail shows (the rota's is its shifts').
    zone = ZoneInfo(deps.settings.timezone)

    def local(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if value else "—"

    def officer_name(officer_id: str | None) -> str:
        found = rota.officer(officer_id) if officer_id else None
        return found.name if found else (officer_id or "—")

    now = deps.clock()

    def remaining(value: datetime) -> str:
        """Time left as m:ss (h:mm:ss past an hour); the page's script keeps it moving."""
        seconds = max(0, int((value - now).total_seconds()))
        hours, rest = divmod(seconds, 3600)
        return (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f"{rest // 60}:{rest % 60:02d}"
        )

    def sentence(reason: Reason) -> str:
        return (reason.sentence_ja or reason.sentence) if language == "ja" else reason.sentence

    def incident_map(summary: IncidentSummary) -> DrawnMap:
        return activation_map(summary, deps.members(), language)

    full = {
        "request": request,
        "t": words,
        "lang": language,
        "officer": officer,
        "csrf": csrf_token(request),
        "local": local,
        "officer_name": officer_name,
        "sentence": sentence,
        "incident_map": incident_map,
        "now": now,
        "remaining": remaining,
        **context,
    }
    return page(request, name, full, status_code=status_code)
