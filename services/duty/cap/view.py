"""Which CAP messages duty's records make, and how they refer to each other (pure).

Per incident, in time order: the first activation is an `Alert`; every later activation (an
upgrade), every launch and the programme's close are an `Update` referring to the incident's
earlier messages; a stand-down, or the source's withdrawal of the incident, is a `Cancel` of
them all. After a stand-down or a close the
next activation starts a new `Alert`. Launching, closing or standing down an activation that a
later one had already replaced says nothing: the newer activation carries the incident.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from schemas.activations import IncidentSummary, Level, Reason
from services.duty.cap.mapping import Kind

_SUFFIX = {
    Kind.ACTIVATION: "",
    Kind.LAUNCH: "-launch",
    Kind.STAND_DOWN: "-stand-down",
    Kind.CLOSE: "-close",
    Kind.WITHDRAWN: "-withdrawn",
}
# Same-instant records: the activation first, then its launch, its close, its stand-down.
_ORDER = {Kind.ACTIVATION: 0, Kind.LAUNCH: 1, Kind.CLOSE: 2, Kind.STAND_DOWN: 3, Kind.WITHDRAWN: 4}


_CANCELS = (Kind.STAND_DOWN, Kind.WITHDRAWN)


@dataclass(frozen=True)
class ActivationRecord:
    """What CAP needs of one activation: its decision and the incident's summary, no people."""

    activation_id: UUID
    incident_id: UUID
    level: Level
    previous_level: Level
    score: float
    reasons: list[Reason]
    summary: IncidentSummary
    received_at: datetime


@dataclass(frozen=True)
class Closing:
    """A launch, close or stand-down of an activation, and when."""

    activation_id: UUID
    kind: Kind
    at: datetime
    # A launch or close: the programme's name by CAP language.
    programme: dict[str, str] | None = None


@dataclass(frozen=True)
class Reference:
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    kind: Kind
    msg_type: str  # Alert | Update | Cancel
    sent: datetime
    references: tuple[Reference, ...]
    activation: ActivationRecord
    programme: dict[str, str] | None = None


def identifier(activation_id: UUID, kind: Kind) -> str:
    return f"{activation_id}{_SUFFIX[kind]}"


def parse_identifier(text: str) -> tuple[UUID, Kind] | None:
    """Read an identifier made by `identifier`; None for anything else."""
    for kind in (Kind.LAUNCH, Kind.STAND_DOWN, Kind.CLOSE, Kind.WITHDRAWN, Kind.ACTIVATION):
        suffix = _SUFFIX[kind]
        if text.endswith(suffix):
            try:
                return UUID(text[: len(text) - len(suffix)] if suffix else text), kind
            except ValueError:
                return None
    return None


def derive(activations: list[ActivationRecord], closings: list[Closing]) -> list[CapMessage]:
    """Turn duty's records into CAP messages, oldest first."""
    by_id = {a.activation_id: a for a in activations if a.level > Level.NONE}
    steps: dict[UUID, list[_Step]] = defaultdict(list)
    for record in by_id.values():
        steps[record.incident_id].append((record.received_at, Kind.ACTIVATION, record, None))
    for closing in closings:
        closed = by_id.get(closing.activation_id)
        if closed is not None:
            steps[closed.incident_id].append((closing.at, closing.kind, closed, closing.programme))
    messages: list[CapMessage] = []
    for incident_steps in steps.values():
        messages.extend(_incident(incident_steps))
    return sorted(messages, key=lambda m: (m.sent, _ORDER[m.kind], m.identifier))


_Step = tuple[datetime, Kind, ActivationRecord, dict[str, str] | None]


def _incident(steps: list[_Step]) -> list[CapMessage]:
    steps.sort(key=lambda s: (s[0], _ORDER[s[1]], s[2].received_at))
    messages: list[CapMessage] = []
    live: list[Reference] = []  # the messages since the last Cancel
    latest: UUID | None = None  # the activation now carrying the incident
    for at, kind, record, programme in steps:
        if kind is Kind.ACTIVATION:
            latest = record.activation_id
            msg_type = "Update" if live else "Alert"
        elif record.activation_id != latest or not live:
            continue
        else:
            msg_type = "Cancel" if kind in _CANCELS else "Update"
        message = CapMessage(
            identifier(record.activation_id, kind),
            kind,
            msg_type,
            at,
            tuple(live),
            record,
            programme,
        )
        messages.append(message)
        if msg_type == "Cancel" or kind is Kind.CLOSE:
            # The response is over: a later activation of the incident is a new Alert.
            live, latest = [], None
        else:
            live.append(Reference(message.identifier, at))
    return messages
