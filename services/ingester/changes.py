"""Is this event worth publishing? New events and changed versions are; repeats are not.

Pure functions over plain values. A "change" is a newer version (GDACS episode, ReliefWeb
change date) or, within one version, a different alert level, severity, exposed population
or status. USGS's version (`updated`) moves with any product, a felt report included:
there a new version is news only when a tracked value moved (status, magnitude, PAGER's
levels, review or intensity, the tsunami flag, the event's ids). A value a source leaves out (the GDACS API has no population) never counts as a
change, so two sources reporting one event cannot make it flap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas.hazards import HazardEvent, Source, compare_versions

TRACKED = ("alert_level", "severity", "population_exposed", "status", "pager", "ids")
# Sources whose version changes with anything at all: only a tracked value's change is news.
_CONTENT_VERSIONED = frozenset({Source.USGS})


@dataclass(frozen=True)
class Seen:
    """What was last published of one event."""

    version: str
    fingerprint: dict[str, Any]

    def dumps(self) -> str:
        return json.dumps(self.fingerprint, sort_keys=True)

    @classmethod
    def loads(cls, version: str, fingerprint: str) -> Seen:
        return cls(version=version, fingerprint=json.loads(fingerprint))


@dataclass(frozen=True)
class Verdict:
    publish: bool
    why: str
    seen: Seen | None


def fingerprint(event: HazardEvent) -> dict[str, Any]:
    """Return the values whose change is news."""
    return {
        "alert_level": event.alert_level.value if event.alert_level else None,
        "severity": event.severity.value if event.severity else None,
        "population_exposed": event.population_exposed,
        "status": event.status,
        "pager": _pager(event),
        "ids": sorted(event.extras.get("ids") or []) if event.source is Source.USGS else None,
    }


def _pager(event: HazardEvent) -> list[Any] | None:
    pager = event.pager
    if pager is None:
        return None
    return [
        pager.alert.value if pager.alert else None,
        pager.fatality_alert.value if pager.fatality_alert else None,
        pager.economic_alert.value if pager.economic_alert else None,
        pager.pending,
        pager.reviewed,
        pager.max_mmi,
        pager.tsunami,
    ]


def judge(event: HazardEvent, seen: Seen | None) -> Verdict:
    """Decide whether to publish an event given what was published of it before."""
    current = fingerprint(event)
    if seen is None:
        return Verdict(True, "new", Seen(event.version, current))
    order = compare_versions(event.version, seen.version)
    if order < 0:
        return Verdict(False, "older_version", seen)
    merged = {**seen.fingerprint, **{k: v for k, v in current.items() if v is not None}}
    changed = [
        k for k in TRACKED if current.get(k) is not None and current[k] != seen.fingerprint.get(k)
    ]
    if order > 0 and (changed or event.source not in _CONTENT_VERSIONED):
        return Verdict(True, "new_version", Seen(event.version, merged))
    if changed:
        return Verdict(True, "changed:" + ",".join(changed), Seen(event.version, merged))
    return Verdict(False, "unchanged", seen)
