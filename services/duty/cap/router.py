"""`/cap/feed.atom` and `/cap/{id}.xml`: duty's CAP alerts, read-only and without login.

Only the decision and the incident's public facts are served: no officer, note, member or
message to members ever reaches these documents.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import IncidentSummary, Level, Reason
from schemas.base import utcnow
from schemas.responses import StepAction
from services.common.db import Database
from services.common.settings import DutySettings
from services.duty.cap.mapping import Kind
from services.duty.cap.render import (
    ATOM_MEDIA_TYPE,
    CAP_MEDIA_TYPE,
    Publisher,
    alert_xml,
    atom_xml,
)
from services.duty.cap.view import ActivationRecord, CapMessage, Closing, derive, parse_identifier
from services.duty.models import DutyActivation, DutyRollCallStep, DutyTransition
from services.duty.states import DutyState

# Outside the OpenAPI document: that describes the officers' JSON API, not public XML.
router = APIRouter(prefix="/cap", include_in_schema=False)

FEED_INCIDENTS = 100
"""The feed lists the messages of the incidents most recently decided on."""
_MAX_AGE_S = 60
_CACHE = f"public, max-age={_MAX_AGE_S}"
_CLOSING_STATES = {
    DutyState.LAUNCHED.value: Kind.LAUNCH,
    DutyState.STOOD_DOWN.value: Kind.STAND_DOWN,
    DutyState.CLOSED.value: Kind.CLOSE,
    DutyState.WITHDRAWN.value: Kind.WITHDRAWN,
}
_NAMED = (Kind.LAUNCH, Kind.CLOSE)  # the messages that name the programme


class _Deps(Protocol):
    db: Database
    settings: DutySettings


def _deps(request: Request) -> _Deps:
    deps: _Deps = request.app.state.deps
    return deps


def publisher(settings: DutySettings) -> Publisher:
    """Name the sender after the console's public host, where the alerts are served."""
    base = settings.public_url.rstrip("/")
    return Publisher(sender=urlsplit(base).hostname or "standby", name="standby", base_url=base)


@router.get("/feed.atom", response_class=Response)
async def feed(request: Request) -> Response:
    """The Atom index of the latest CAP alerts, newest first; built at most once per max-age.

    Anyone may ask for it without logging in: a loop of requests must not become a loop of
    database reads, so the body is kept for the time the Cache-Control header grants anyway
    (one build at a time; the others wait for it).
    """
    state = request.app.state
    lock: asyncio.Lock | None = getattr(state, "cap_feed_lock", None)
    if lock is None:
        lock = state.cap_feed_lock = asyncio.Lock()
    async with lock:
        cached: tuple[bytes, float] | None = getattr(state, "cap_feed", None)
        if cached is None or cached[1] <= time.monotonic():
            cached = (await _feed_body(_deps(request)), time.monotonic() + _MAX_AGE_S)
            state.cap_feed = cached
    return Response(cached[0], media_type=ATOM_MEDIA_TYPE, headers={"cache-control": _CACHE})


async def _feed_body(deps: _Deps) -> bytes:
    async with deps.db.sessions() as session:
        recent = select(DutyActivation.incident_id).group_by(DutyActivation.incident_id)
        recent = recent.order_by(func.max(DutyActivation.received_at).desc()).limit(FEED_INCIDENTS)
        messages = await _messages(session, list((await session.execute(recent)).scalars()))
    return atom_xml(messages, publisher(deps.settings), utcnow())


@router.get(
    "/{identifier}.xml", response_class=Response, responses={404: {"description": "No such alert"}}
)
async def alert(request: Request, identifier: str) -> Response:
    """One CAP 1.2 alert."""
    parsed = parse_identifier(identifier)
    if parsed is None:
        raise HTTPException(404, "no such alert")
    deps = _deps(request)
    async with deps.db.sessions() as session:
        incident = await session.scalar(
            select(DutyActivation.incident_id).where(DutyActivation.activation_id == str(parsed[0]))
        )
        messages = await _messages(session, [incident] if incident else [])
    found = next((m for m in messages if m.identifier == identifier), None)
    if found is None:
        raise HTTPException(404, "no such alert")
    body = alert_xml(found, publisher(deps.settings))
    return Response(body, media_type=CAP_MEDIA_TYPE, headers={"cache-control": _CACHE})


async def _messages(session: AsyncSession, incident_ids: list[str]) -> list[CapMessage]:
    if not incident_ids:
        return []
    rows = (
        await session.execute(
            select(DutyActivation).where(DutyActivation.incident_id.in_(incident_ids))
        )
    ).scalars()
    records = [_record(row) for row in rows]
    closings = await session.execute(
        select(
            DutyTransition.activation_id,
            DutyActivation.incident_id,
            DutyTransition.state,
            DutyTransition.at,
        )
        .join(DutyActivation, DutyActivation.activation_id == DutyTransition.activation_id)
        .where(
            DutyActivation.incident_id.in_(incident_ids),
            DutyTransition.state.in_(list(_CLOSING_STATES)),
        )
    )
    programmes = await _programmes(session, incident_ids)
    return derive(
        records,
        [
            Closing(UUID(a), kind, at, programmes.get(incident) if kind in _NAMED else None)
            for a, incident, state, at in closings.all()
            for kind in (_CLOSING_STATES[state],)
        ],
    )


async def _programmes(session: AsyncSession, incident_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each incident's launched programme, named in each CAP language (from the roll-call)."""
    found = await session.execute(
        select(
            DutyRollCallStep.incident_id,
            DutyRollCallStep.programme_ja,
            DutyRollCallStep.programme_en,
        ).where(
            DutyRollCallStep.incident_id.in_(incident_ids),
            DutyRollCallStep.action == StepAction.PROGRAMME_LAUNCHED.value,
        )
    )
    return {
        incident: {"ja-JP": ja or en or "", "en-US": en or ja or ""}
        for incident, ja, en in found.all()
    }


def _record(row: DutyActivation) -> ActivationRecord:
    return ActivationRecord(
        activation_id=UUID(row.activation_id),
        incident_id=UUID(row.incident_id),
        level=Level(row.level),
        previous_level=Level(row.previous_level),
        score=row.score,
        reasons=[Reason.model_validate(r) for r in row.reasons],
        summary=IncidentSummary.model_validate(row.summary),
        received_at=row.received_at,
    )
