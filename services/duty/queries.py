"""The console's read side: open activations, one activation's timeline, who was told."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import Select, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import IncidentSummary, Level, Reason
from services.duty.models import (
    DutyActivation,
    DutyDelivery,
    DutyPage,
    DutyRollCallStep,
    DutyTimer,
    DutyTransition,
)
from services.duty.rota import PlannedStep
from services.duty.states import Action, DutyState, allowed_actions


class ActivationItem(BaseModel):
    activation_id: UUID
    incident_id: UUID
    level: Level
    state: DutyState
    step: int
    title: str
    score: float
    hazard_type: str
    countries: list[str]
    received_at: datetime
    paged_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    next_escalation_at: datetime | None
    next_officer_ids: list[str] = Field(default_factory=list)
    superseded_by: UUID | None
    actions: list[Action]


TimelineKind = Literal["report", "decision", "page", "transition", "delivery", "rollcall"]


class TimelineEntry(BaseModel):
    at: datetime
    kind: TimelineKind
    state: str | None = Field(
        default=None, description="The transition's state, delivery's status or roll-call step."
    )
    step: int | None = None
    officer_id: str | None = None
    via: str | None = None
    channel: str | None = None
    contact: str | None = None
    text: str | None = None
    member_message: str | None = None
    answer: str | None = None
    organisations: list[str] = Field(default_factory=list)
    names: dict[str, str] = Field(
        default_factory=dict, description="A launched programme's name by language."
    )


class DeliveryRow(BaseModel):
    kind: str
    organisation_id: str | None
    contact_id: str
    channel: str
    status: str
    attempts: int
    error: str | None
    at: datetime


class ActivationDetail(ActivationItem):
    summary: IncidentSummary
    reasons: list[Reason]
    chain: list[PlannedStep]
    timeline: list[TimelineEntry]
    deliveries: list[DeliveryRow] = Field(default_factory=list)
    rollcall: bool = Field(
        default=False, description="The incident has a roll-call (its steps are on the timeline)."
    )


def _item(row: DutyActivation, due: datetime | None) -> dict[str, Any]:
    state = DutyState(row.state)
    summary = row.summary
    return {
        "activation_id": row.activation_id,
        "incident_id": row.incident_id,
        "level": row.level,
        "state": state,
        "step": row.step,
        "title": row.title,
        "score": row.score,
        "hazard_type": summary.get("hazard_type", ""),
        "countries": summary.get("countries", []),
        "received_at": row.received_at,
        "paged_at": row.paged_at,
        "acknowledged_at": row.acknowledged_at,
        "acknowledged_by": row.acknowledged_by,
        "next_escalation_at": due,
        "next_officer_ids": (
            row.chain[row.step + 1]["officer_ids"]
            if due is not None and row.step + 1 < len(row.chain)
            else []
        ),
        "superseded_by": row.superseded_by,
        "actions": _actions(row, state),
    }


def _actions(row: DutyActivation, state: DutyState) -> list[Action]:
    if row.superseded_by:
        return []
    last_step = row.step + 1 >= len(row.chain)
    return [a for a in allowed_actions(state) if not (a is Action.ESCALATE and last_step)]


class ListFilter(BaseModel):
    """What the officer narrows the list to; every field empty shows everything."""

    level: Level | None = None
    state: DutyState | None = None
    officer_id: str | None = Field(
        default=None, description="Only activations this officer owns or was paged for."
    )
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


async def list_activations(
    session: AsyncSession, *, limit: int = 200, only: ListFilter | None = None
) -> list[ActivationItem]:
    """List activations: open ones first, newest on top, then the closed and the watch-only."""
    open_first = case((DutyActivation.state.in_(_OPEN_STATES), 0), else_=1)
    query = select(DutyActivation, DutyTimer.due_at).outerjoin(
        DutyTimer, DutyTimer.id == DutyActivation.timer_id
    )
    only = only or ListFilter()
    if only.level is not None:
        query = query.where(DutyActivation.level == only.level.value)
    if only.state is not None:
        query = query.where(DutyActivation.state == only.state.value)
    if only.officer_id is not None:
        paged = select(DutyPage.activation_id).where(DutyPage.officer_id == only.officer_id)
        query = query.where(
            or_(
                DutyActivation.acknowledged_by == only.officer_id,
                DutyActivation.activation_id.in_(paged),
            )
        )
    rows = await session.execute(
        query.order_by(
            DutyActivation.superseded_by.is_not(None),
            open_first,
            DutyActivation.received_at.desc(),
        ).limit(limit)
    )
    items = [ActivationItem.model_validate(_item(row, due)) for row, due in rows.all()]
    if only.country is not None:
        # Countries live in the summary's JSON: filtered here, the same on SQLite and PostgreSQL.
        items = [item for item in items if only.country in item.countries]
    return items


_OPEN_STATES = [s.value for s in DutyState if s.is_open]


async def activation_detail(session: AsyncSession, activation_id: UUID) -> ActivationDetail | None:
    """Gather one activation with its timeline (reports, decision, pages, transitions, deliveries)."""
    found = (
        await session.execute(
            select(DutyActivation, DutyTimer.due_at)
            .outerjoin(DutyTimer, DutyTimer.id == DutyActivation.timer_id)
            .where(DutyActivation.activation_id == str(activation_id))
        )
    ).first()
    if found is None:
        return None
    row, due = found
    key = row.activation_id
    summary = IncidentSummary.model_validate(row.summary)
    reasons = [Reason.model_validate(r) for r in row.reasons]
    timeline = [
        TimelineEntry(at=summary.event_time, kind="report", text=summary.title),
        TimelineEntry(
            at=row.occurred_at,
            kind="decision",
            state=row.level,
            text="; ".join(r.sentence for r in reasons),
        ),
    ]
    timeline += await _page_entries(session, key)
    timeline += await _transition_entries(session, key)
    steps = await rollcall_steps(session, row.incident_id)
    timeline += steps
    deliveries = await deliveries_of(session, activation_id)
    timeline += [_delivery_entry(d) for d in deliveries]
    timeline.sort(key=lambda e: e.at)
    return ActivationDetail.model_validate(
        {
            **_item(row, due),
            "summary": summary,
            "reasons": reasons,
            "chain": [PlannedStep.model_validate(p) for p in row.chain],
            "timeline": timeline,
            "deliveries": deliveries,
            "rollcall": bool(steps),
        }
    )


async def _entries(
    session: AsyncSession, kind: TimelineKind, query: Select[Any]
) -> list[TimelineEntry]:
    """Read a query whose columns are named as the timeline's fields: one entry a row."""
    rows = await session.execute(query)
    return [TimelineEntry(kind=kind, **row._mapping) for row in rows]


async def _page_entries(session: AsyncSession, key: str) -> list[TimelineEntry]:
    """Each page of an officer for the activation."""
    page = DutyPage.__table__.c
    query = select(*page["at", "step", "officer_id"]).where(page.activation_id == key)
    return await _entries(session, "page", query)


async def _transition_entries(session: AsyncSession, key: str) -> list[TimelineEntry]:
    """Each change of the activation's duty state, with who made it and how."""
    t = DutyTransition.__table__.c
    shown = t["at", "state", "step", "officer_id", "via", "member_message"]
    query = select(*shown, t.note.label("text")).where(t.activation_id == key)
    return await _entries(session, "transition", query)


def _delivery_entry(d: DeliveryRow) -> TimelineEntry:
    """One delivery's outcome as a line of the timeline."""
    return TimelineEntry(
        at=d.at,
        kind="delivery",
        state=d.status,
        channel=d.channel,
        contact=f"{d.organisation_id}/{d.contact_id}" if d.organisation_id else d.contact_id,
        text=d.error,
    )


async def rollcall_steps(session: AsyncSession, incident_id: str) -> list[TimelineEntry]:
    """The steps of the incident's roll-call, as the response service reported them.

    The roll-call belongs to the incident, so every activation of the incident shows it.
    """
    rows = await session.execute(
        select(DutyRollCallStep)
        .where(DutyRollCallStep.incident_id == incident_id)
        .order_by(DutyRollCallStep.occurred_at)
    )
    return [
        TimelineEntry(
            at=step.occurred_at,
            kind="rollcall",
            state=step.action,
            officer_id=step.officer_id,
            via=step.via,
            contact=step.organisation_id,
            answer=step.answer,
            organisations=list(step.organisations or []),
            names=(
                {"ja": step.programme_ja or "", "en": step.programme_en or ""}
                if step.programme_en
                else {}
            ),
        )
        for step in rows.scalars()
    ]


async def deliveries_of(session: AsyncSession, activation_id: UUID) -> list[DeliveryRow]:
    """List what was sent to whom for an activation, failures first."""
    failed_first = case((DutyDelivery.status == "failed", 0), else_=1)
    d = DutyDelivery.__table__.c
    shown = d["kind", "organisation_id", "contact_id", "channel", "status", "attempts", "error"]
    rows = await session.execute(
        select(*shown, d.occurred_at.label("at"))
        .where(d.activation_id == str(activation_id))
        .order_by(failed_first, d.organisation_id, d.contact_id)
    )
    return [DeliveryRow(**row._mapping) for row in rows]


async def count_open_unacknowledged(session: AsyncSession) -> int:
    """Count activations paged and still waiting for an owner."""
    rows = await session.execute(
        select(DutyActivation.activation_id).where(
            DutyActivation.state.in_([DutyState.PAGED.value, DutyState.ESCALATED.value]),
            DutyActivation.superseded_by.is_(None),
        )
    )
    return len(rows.all())


async def paged_officers(session: AsyncSession, activation_id: UUID) -> set[str]:
    """Return the officers who have been paged for an activation (the ones its links may name)."""
    rows = await session.execute(
        select(DutyPage.officer_id).where(DutyPage.activation_id == str(activation_id))
    )
    return set(rows.scalars())
