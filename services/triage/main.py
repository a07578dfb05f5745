"""Composition root of the triage service: criteria and members in, activations out."""

from __future__ import annotations

from schemas.acks import AckEvent
from schemas.hazards import HazardEvent
from schemas.topics import ACKS, HAZARDS
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.service import ServiceContext
from services.triage import retention
from services.triage.criteria import load_criteria
from services.triage.facts import FactContext, Presence
from services.triage.handlers import TriageHandlers, merge_policy

log = get_logger(__name__)


async def setup(ctx: ServiceContext) -> None:
    """Register the triage's handlers and background tasks."""
    settings = ctx.settings
    criteria = load_criteria(settings.triage.criteria_file)
    # Re-read when edited, as the notifier does: presence facts never go stale.
    directory = MemberDirectoryFile(settings.members_file)
    members = directory.current()
    context = FactContext(
        priority_regions=frozenset(criteria.priority_regions),
        home_countries=frozenset(criteria.home_countries),
        presence=Presence.from_directory(members),
    )
    handlers = TriageHandlers(
        ctx,
        criteria,
        context,
        merge_policy(settings.triage.incident_window_hours, settings.triage.incident_distance_km),
        members=directory.current,
    )
    ctx.subscribe(HAZARDS, HazardEvent, handlers.on_hazard)
    ctx.subscribe(ACKS, AckEvent, handlers.on_ack)
    ctx.background.append(handlers.gauge_open_incidents)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    log.info(
        "triage_configured",
        criteria=str(settings.triage.criteria_file),
        rules=len(criteria.rules),
        members=str(settings.members_file),
        organisations=len(members.organisations),
    )
