"""Triage's message handlers: thin shells around the pure engine, one transaction each."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import timedelta

import structlog

from schemas.acks import AckEvent
from schemas.hazards import HazardEvent
from schemas.members import MemberDirectory
from services.common.logs import get_logger
from services.common.service import ServiceContext
from services.triage import metrics
from services.triage.criteria import Criteria
from services.triage.decide import RuleBook
from services.triage.engine import Triage, apply_ack
from services.triage.facts import FactContext, Presence
from services.triage.incidents import Incident, MergePolicy
from services.triage.models import IncidentRow
from services.triage.store import count_open, load_candidates, save_outcome

log = get_logger(__name__)


@dataclasses.dataclass(eq=False)
class TriageHandlers:
    """What triage does with a hazard report and with a duty officer's call."""

    ctx: ServiceContext
    criteria: Criteria
    context: FactContext
    policy: MergePolicy
    _: dataclasses.KW_ONLY
    members: Callable[[], MemberDirectory] | None = None
    gauge_interval_s: float = 15.0
    rules: RuleBook = dataclasses.field(init=False)
    _directory: MemberDirectory | None = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        # Compiled once (and again when the member directory changes): each message runs
        # the engine on the incidents it loads.
        self.rules = RuleBook(self.criteria, self.context)
        self._directory = self.members() if self.members is not None else None

    def _follow_members(self) -> None:
        """Take an edited member directory: presence facts follow it without a restart."""
        if self.members is None:
            return
        directory = self.members()
        if directory is not self._directory:
            self._directory = directory
            presence = Presence.from_directory(directory)
            self.context = dataclasses.replace(self.context, presence=presence)
            self.rules = RuleBook(self.criteria, self.context)

    async def on_hazard(self, event: HazardEvent) -> None:
        """Merge a report into its incident, decide, and broadcast a new or higher level."""
        started = time.perf_counter()
        self._follow_members()
        async with self.ctx.work() as work:
            if not await work.claim(event):
                return
            loaded = await load_candidates(work.session, event, self.policy)
            triage = Triage(self.criteria, self.context, book=loaded.book, rules=self.rules)
            outcome = triage.process(event)
            await save_outcome(work.session, loaded, outcome, event.id)
            activation = outcome.activation
            if activation is not None:
                work.publish(activation, key=str(outcome.incident.id))
        decision = outcome.decision
        metrics.DECISIONS.labels(decision.level.value, event.hazard_type.value).inc()
        metrics.DECISION_LATENCY.observe(time.perf_counter() - started)
        with structlog.contextvars.bound_contextvars(incident_id=str(outcome.incident.id)):
            if activation is not None:
                metrics.ACTIVATIONS_PUBLISHED.labels(activation.level.value).inc()
                # The report's message was written when the ingester first saw this version.
                seen = (activation.produced_at - event.produced_at).total_seconds()
                metrics.ALERT_LAG.labels(event.source.value, event.hazard_type.value).observe(
                    max(0.0, seen)
                )
                log.info(
                    "activation_published",
                    activation_id=str(activation.activation_id),
                    level=activation.level.value,
                    previous_level=activation.previous_level.value,
                    score=activation.score,
                    rules=list(decision.rules),
                    source_event=event.key,
                )
            else:
                log.info(
                    "decision_recorded",
                    level=decision.level.value,
                    score=decision.score,
                    rules=list(decision.rules),
                    source_event=event.key,
                    created=outcome.created,
                    stale=outcome.stale,
                    downgrade=outcome.downgraded,
                )

    async def on_ack(self, ack: AckEvent) -> None:
        """Remember a launch or stand-down so the incident is not re-alerted at that level."""
        async with self.ctx.work() as work:
            if not await work.claim(ack):
                return
            row = await work.session.get(IncidentRow, str(ack.incident_id))
            if row is None:
                log.warning(
                    "ack_for_unknown_incident",
                    incident_id=str(ack.incident_id),
                    activation_id=str(ack.activation_id),
                    state=ack.state.value,
                )
                return
            incident = Incident.from_row_levels(row)
            if apply_ack(incident, ack.state, ack.level):
                row.acked_level = incident.acked_level.value
                row.ack_state = ack.state.value
                log.info(
                    "duty_call_recorded",
                    incident_id=row.id,
                    activation_id=str(ack.activation_id),
                    state=ack.state.value,
                    no_realert_through=row.acked_level,
                )

    async def gauge_open_incidents(self) -> None:
        """Keep the open-incidents gauge current (runs for the life of the service)."""
        while True:
            try:
                async with self.ctx.db.sessions() as session:
                    metrics.INCIDENTS_OPEN.set(await count_open(session, self.policy.window))
            except Exception as err:  # the gauge must never take the service down
                log.warning("incidents_gauge_failed", error=str(err))
            await asyncio.sleep(self.gauge_interval_s)


def merge_policy(window_hours: float, distance_km: float) -> MergePolicy:
    """Build the merge policy from settings."""
    return MergePolicy(window=timedelta(hours=window_hours), distance_km=distance_km)
