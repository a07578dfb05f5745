"""Load the incidents a report may belong to, and write back what the engine decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import Level
from schemas.base import utcnow
from schemas.hazards import HazardEvent, HazardType, lead_report
from services.triage.engine import Processed
from services.triage.incidents import (
    Incident,
    IncidentBook,
    MergePolicy,
    event_span,
    glide_key,
    hazard_family,
)
from services.triage.models import ActivationRow, DecisionRow, IncidentMemberRow, IncidentRow


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@dataclass
class LoadedBook:
    """An incident book holding only the incidents a report could join, and their rows."""

    book: IncidentBook
    rows: dict[UUID, IncidentRow] = field(default_factory=dict)
    members: dict[str, IncidentMemberRow] = field(default_factory=dict)


async def load_candidates(
    session: AsyncSession, event: HazardEvent, policy: MergePolicy
) -> LoadedBook:
    """Load every incident the report could join: same report, same GLIDE, or same hazard in time."""
    ids = await _candidate_ids(session, event, policy)
    loaded = LoadedBook(IncidentBook(policy))
    if not ids:
        return loaded
    rows = (await session.execute(select(IncidentRow).where(IncidentRow.id.in_(ids)))).scalars()
    members = (
        await session.execute(
            select(IncidentMemberRow).where(IncidentMemberRow.incident_id.in_(ids))
        )
    ).scalars()
    by_incident: dict[str, list[IncidentMemberRow]] = {}
    for member in members:
        by_incident.setdefault(member.incident_id, []).append(member)
        loaded.members[member.source_key] = member
    for row in rows:
        incident = _rebuild(row, by_incident.get(row.id, []))
        if not incident.reports:
            continue
        loaded.rows[incident.id] = row
        loaded.book.add(incident)
    return loaded


async def _candidate_ids(
    session: AsyncSession, event: HazardEvent, policy: MergePolicy
) -> set[str]:
    """Ids of the incidents a report could join: same report, same GLIDE, or same hazard in time."""
    glide = glide_key(event.glide)
    by_member = IncidentMemberRow.source_key == event.key
    if glide is not None:
        by_member = or_(by_member, IncidentMemberRow.glide_key == glide)
    family_of = hazard_family(event.hazard_type)
    # A flood may be a cyclone's own, and a cyclone reported late may find its flood first
    # (services/triage/grouping.py).
    related = {
        HazardType.FLOOD: [HazardType.TROPICAL_CYCLONE.value],
        HazardType.TROPICAL_CYCLONE: [HazardType.FLOOD.value],
    }
    family = IncidentRow.family.in_([family_of.value, *related.get(family_of, [])])
    grouped = family_of in (HazardType.EARTHQUAKE, *related)
    window = policy.longest_window if grouped else policy.window
    # Countries are stored as a JSON list of ISO3 codes ([A-Z]{3}: nothing for LIKE to misread).
    shares_country = or_(
        false(),  # nothing to share when the report names no country (or_() alone is deprecated)
        *(cast(IncidentRow.countries, Text).like(f'%"{iso3}"%') for iso3 in event.countries),
    )
    span = event_span(event)
    if span is None or not event.countries:
        nearby = None  # dated only by year, or nowhere: joins by report or GLIDE only
    elif span[0] == span[1]:
        when = _utc(span[0])
        nearby = select(IncidentRow.id).where(
            family,
            shares_country,
            IncidentRow.precise.is_(True),
            IncidentRow.last_seen >= when - window,
            IncidentRow.first_seen <= when + window,
        )
    else:
        nearby = select(IncidentRow.id).where(
            family,
            shares_country,
            IncidentRow.precise.is_(True),
            IncidentRow.first_seen >= _utc(span[0]),
            IncidentRow.first_seen <= _utc(span[1]),
        )
    ids = set(
        (await session.execute(select(IncidentMemberRow.incident_id).where(by_member))).scalars()
    )
    if nearby is not None:
        ids.update((await session.execute(nearby)).scalars())
    if family_of is HazardType.EARTHQUAKE and span is not None and span[0] == span[1]:
        # Another seismic source's report of the same quake may place it in no country, or
        # another one (quakes.py): its incidents of the same minutes are candidates too.
        ids.update(await _quakes_of_the_same_minutes(session, _utc(span[0]), policy))
    return ids


async def _quakes_of_the_same_minutes(
    session: AsyncSession, when: datetime, policy: MergePolicy
) -> set[str]:
    """Ids of the earthquake incidents within the quake merge's reach of `when`, anywhere."""
    reach = timedelta(seconds=policy.quakes.seconds)
    found = await session.execute(
        select(IncidentRow.id).where(
            IncidentRow.family == HazardType.EARTHQUAKE.value,
            IncidentRow.precise.is_(True),
            IncidentRow.last_seen >= when - reach,
            IncidentRow.first_seen <= when + reach,
        )
    )
    return set(found.scalars())


def _rebuild(row: IncidentRow, members: list[IncidentMemberRow]) -> Incident:
    """An incident from its row and its member reports, replayed in event-time order."""
    incident = Incident(
        id=UUID(row.id),
        family=HazardType(row.family),
        level=Level(row.level),
        score=row.score,
        alerted_level=Level(row.alerted_level),
        acked_level=Level(row.acked_level),
    )
    reports = sorted(
        (HazardEvent.model_validate_json(m.event) for m in members),
        key=lambda e: e.event_time,
    )
    for report in reports:
        incident.absorb(report)
    incident.joined.update({m.source_key: m.joined_because for m in members if m.joined_because})
    return incident


async def save_outcome(
    session: AsyncSession, loaded: LoadedBook, outcome: Processed, message_id: UUID
) -> None:
    """Write the incident, its report, the decision and any activation in the caller's transaction."""
    incident, event, decision = outcome.incident, outcome.event, outcome.decision
    now = utcnow()
    row = loaded.rows.get(incident.id)
    if row is None:
        row = IncidentRow(id=str(incident.id), created_at=now, ack_state=None)
        session.add(row)
        loaded.rows[incident.id] = row
    assert incident.first_seen is not None and incident.last_seen is not None
    lead = lead_report(incident.reports.values())
    row.family = incident.family.value
    row.title = lead.title
    row.countries = sorted(incident.countries)
    row.level = incident.level.value
    row.level_rank = incident.level.rank
    row.score = incident.score
    row.alerted_level = incident.alerted_level.value
    row.acked_level = incident.acked_level.value
    row.first_seen = _utc(incident.first_seen)
    row.last_seen = _utc(incident.last_seen)
    row.precise = incident.precise
    row.updated_at = now
    # The incident row must exist before rows that reference it (no ORM relationships
    # order the inserts for us).
    await session.flush()
    if not outcome.stale:
        _save_member(session, loaded, incident, event, now)
    await session.flush()
    activation = outcome.activation
    session.add(
        DecisionRow(
            incident_id=str(incident.id),
            message_id=str(message_id),
            source_key=event.key,
            version=event.version,
            level=decision.level.value,
            previous_level=outcome.previous_level.value,
            score=decision.score,
            reasons=[r.model_dump(mode="json") for r in decision.reasons],
            outcome=outcome_name(outcome),
            activation_id=str(activation.activation_id) if activation else None,
            decided_at=now,
        )
    )
    if activation is not None:
        session.add(
            ActivationRow(
                activation_id=str(activation.activation_id),
                incident_id=str(incident.id),
                level=activation.level.value,
                previous_level=activation.previous_level.value,
                score=activation.score,
                message_id=str(activation.id),
                payload=activation.model_dump_json(),
                created_at=now,
            )
        )


def _save_member(
    session: AsyncSession, loaded: LoadedBook, incident: Incident, event: HazardEvent, now: datetime
) -> None:
    """Write the report as the incident's member (its newest version, why it joined)."""
    member = loaded.members.get(event.key)
    if member is None:
        member = IncidentMemberRow(source_key=event.key)
        session.add(member)
        loaded.members[event.key] = member
    member.incident_id = str(incident.id)
    member.source = event.source.value
    member.version = event.version
    member.glide_key = glide_key(event.glide)
    member.event_time = _utc(event.event_time)
    member.event = event.model_dump_json()
    member.updated_at = now
    if event.key in incident.joined:
        member.joined_because = incident.joined[event.key]


def outcome_name(outcome: Processed) -> str:
    """Say in one word what a decision led to."""
    if outcome.activation is not None:
        return "withdrawn" if outcome.activation.retracted else "broadcast"
    if outcome.stale:
        return "stale"
    if outcome.downgraded:
        return "downgrade"
    return "recorded"


async def count_open(session: AsyncSession, since: timedelta) -> int:
    """Count incidents at watch or above seen within the merge window."""
    cutoff = utcnow() - since
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(IncidentRow)
                .where(IncidentRow.level_rank >= Level.WATCH.rank, IncidentRow.last_seen >= cutoff)
            )
        ).scalar_one()
    )
