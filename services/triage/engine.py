"""The triage engine: file a report into its incident, decide, and say whether to broadcast.

Pure: no broker, no database, no clock. The service runs it on the incidents it loads for
one message; the backtest runs it over a whole history held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from schemas.acks import AckState
from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.hazards import HazardEvent
from services.triage.criteria import Criteria
from services.triage.decide import Decision, RuleBook
from services.triage.facts import FactContext, incident_facts, lead_report
from services.triage.incidents import NAMESPACE, Incident, IncidentBook, MergePolicy

_RANK = {level: level.rank for level in Level}


def activation_id(incident_id: UUID, level: Level) -> UUID:
    """Name an incident's activation at a level: the same on every replay and retry."""
    return uuid5(NAMESPACE, f"{incident_id}/{level.value}")


@dataclass(frozen=True, slots=True)
class Processed:
    """What processing one report did."""

    event: HazardEvent
    incident: Incident
    created: bool
    stale: bool
    previous_level: Level
    decision: Decision
    activation: Activation | None

    @property
    def downgraded(self) -> bool:
        return self.decision.level < self.previous_level


class Triage:
    """Criteria, reference facts and an incident book, applied one report at a time."""

    def __init__(
        self,
        criteria: Criteria,
        context: FactContext,
        *,
        book: IncidentBook | None = None,
        policy: MergePolicy | None = None,
        rules: RuleBook | None = None,
    ) -> None:
        self.rules = rules or RuleBook(criteria, context)
        self.book = book or IncidentBook(policy)

    def process(self, event: HazardEvent) -> Processed:
        """File the report, decide on its incident, and build the Activation to broadcast, if any."""
        incident, created, changed = self.book.file(event)
        previous = incident.level
        decision = self.assess(incident)
        incident.level = decision.level
        incident.score = decision.score
        activation = None
        rank = _RANK[decision.level]
        if changed and rank > 0 and rank > _RANK[incident.notice_floor]:
            activation = build_activation(incident, decision, previous=incident.alerted_level)
            incident.alerted_level = decision.level
        elif changed and incident.alerted_level > Level.NONE and withdrawn(incident):
            activation = build_activation(incident, decision, previous=incident.alerted_level)
            # Told again from scratch should the source publish the event anew.
            incident.alerted_level = Level.NONE
        return Processed(event, incident, created, not changed, previous, decision, activation)

    def assess(self, incident: Incident) -> Decision:
        """Score an incident as it stands; a report its source withdrew counts for nothing."""
        reports = [r for r in incident.reports.values() if r.status != RETRACTED]
        if not reports:
            return _withdrawal(incident)
        facts = incident_facts(reports, frozenset(incident.countries), self.rules.context)
        return self.rules.decide(facts)


#: The status a source gives a report it withdrew (USGS: an event `deleted`).
RETRACTED = "deleted"


def withdrawn(incident: Incident) -> bool:
    """Every report of the incident was withdrawn by its source.

    Only a source's own word withdraws a report: a feed that fails, or that stops listing
    an event (a summary feed covers the last hour or day), withdraws nothing.
    """
    return all(r.status == RETRACTED for r in incident.reports.values())


def _withdrawal(incident: Incident) -> Decision:
    keys = ", ".join(sorted(incident.reports))
    return Decision(
        Level.NONE,
        0.0,
        (
            Reason(
                rule="withdrawn",
                sentence=f"Withdrawn by its source ({keys} deleted)",
                sentence_ja=f"情報源が発表を取り消しました（{keys} 削除）",
                values={"withdrawn": sorted(incident.reports)},
            ),
        ),
    )


def apply_ack(incident: Incident, state: AckState, level: Level) -> bool:
    """Record a duty officer's call; return whether it changes what may be broadcast.

    Launched means the platform responds in full, so nothing below or at `activate` is
    re-alerted; stood down means the officer judged this level not worth a response, so
    only an upgrade above it is broadcast again.
    """
    if state in (AckState.LAUNCHED, AckState.CLOSED):
        # A closed programme was a full response too: the same event is not alerted again.
        ceiling = Level.ACTIVATE
    elif state is AckState.STOOD_DOWN:
        ceiling = level
    else:
        return False
    if ceiling <= incident.acked_level:
        return False
    incident.acked_level = ceiling
    return True


def summarise(incident: Incident) -> IncidentSummary:
    """Say what a member needs to know, from the most alarming report and all the others."""
    reports = list(incident.reports.values())
    lead = lead_report(reports)
    names: dict[str, None] = {}
    for report in sorted(reports, key=lambda r: r is not lead):
        for name in report.country_names:
            names[name] = None
    links = {link.url: link for report in reports for link in report.links}
    glide = lead.glide or next((r.glide for r in reports if r.glide), None)
    people = [r.population_exposed for r in reports if r.population_exposed is not None]
    first = incident.first_seen or lead.event_time
    return IncidentSummary(
        title=lead.title,
        hazard_type=lead.hazard_type,
        countries=sorted(incident.countries),
        country_names=list(names),
        event_time=first,
        lat=lead.lat,
        lon=lead.lon,
        bbox=lead.bbox,
        alert_level=lead.alert_level,
        severity=lead.severity,
        population_exposed=max(people) if people else None,
        glide=glide,
        links=list(links.values()),
        sources=incident.source_keys,
    )


def build_activation(incident: Incident, decision: Decision, *, previous: Level) -> Activation:
    """Turn a decision that crossed a level into the message members will hear about."""
    return Activation(
        activation_id=activation_id(incident.id, decision.level),
        incident_id=incident.id,
        level=decision.level,
        previous_level=previous,
        score=round(decision.score, 1),
        reasons=list(decision.reasons),
        summary=summarise(incident),
        occurred_at=max(r.event_time for r in incident.reports.values()),
        retracted=decision.level is Level.NONE and withdrawn(incident),
    )
