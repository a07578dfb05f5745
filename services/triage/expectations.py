"""The disasters a platform did respond to, to judge a backtest against (`--expect FILE`).

A CSV with a header. Each row is one disaster, named by `event` (a source key such as
`gdacs:EQ:1052901`, a source id `EQ:1052901`, or a GLIDE number `EQ-2015-000048-NPL`),
and/or by `date` (YYYY-MM-DD), `iso3` (`;`-separated) and `hazard` (a word such as
`earthquake` or a code such as `EQ`). Other columns (name, source) are kept for people.
An incident answers a row when it holds the event or its GLIDE number, or, failing an
event, when it is the same kind of hazard in one of the countries and began within
`days` of the date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from schemas.hazards import HazardType
from services.common.errors import StandbyError
from services.triage.incidents import Incident, glide_key, hazard_family

_WORDS = {
    "earthquake": HazardType.EARTHQUAKE,
    "tsunami": HazardType.EARTHQUAKE,  # GDACS files a tsunami under its earthquake
    "tropical cyclone": HazardType.TROPICAL_CYCLONE,
    "cyclone": HazardType.TROPICAL_CYCLONE,
    "typhoon": HazardType.TROPICAL_CYCLONE,
    "hurricane": HazardType.TROPICAL_CYCLONE,
    "flood": HazardType.FLOOD,
    "volcano": HazardType.VOLCANO,
    "drought": HazardType.DROUGHT,
    "wildfire": HazardType.WILDFIRE,
}


class ExpectationsError(StandbyError):
    """An expectations file cannot be read."""


@dataclass(frozen=True)
class Expected:
    """One disaster the platform responded to."""

    line: int
    label: str
    event: str | None
    day: date | None
    countries: frozenset[str]
    family: HazardType | None

    def answered_by(self, incident: Incident, days: int) -> bool:
        """Whether an incident is this disaster."""
        if self.event:
            wanted = self.event.lower()
            keys = {k.lower() for k in incident.reports}
            if wanted in keys or any(k.split(":", 1)[1] == wanted for k in keys):
                return True
            glide = glide_key(self.event)
            if glide is not None and glide in incident.glides:
                return True
        if self.day is None or incident.first_seen is None:
            return False
        # A cyclone's flood may be filed under the cyclone, a quake's tsunami under the quake.
        filed_under_cause = (
            self.family is HazardType.FLOOD and incident.family is HazardType.TROPICAL_CYCLONE
        ) or (self.family is HazardType.TSUNAMI and incident.family is HazardType.EARTHQUAKE)
        if (
            self.family is not None
            and hazard_family(self.family) != incident.family
            and not filed_under_cause
        ):
            return False
        if self.countries and self.countries.isdisjoint(incident.countries):
            return False
        start = datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)
        return abs(incident.first_seen - start) <= timedelta(days=days)


def _hazard(text: str) -> HazardType | None:
    text = text.strip()
    if not text:
        return None
    if text.upper() in HazardType.__members__.values():
        return HazardType(text.upper())
    return _WORDS.get(text.lower())


def load_expectations(path: Path) -> list[Expected]:
    """Read an expectations CSV; raise ExpectationsError naming the line of a bad row."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    except OSError as err:
        raise ExpectationsError(f"{path}: {err}") from err
    expected: list[Expected] = []
    for number, row in enumerate(rows, start=2):
        answer = next((v for k, v in row.items() if k and k.startswith("jpf_response")), None)
        if answer is not None and answer.strip().lower() != "yes":
            continue  # the platform's own record: only what it did respond to
        event = (row.get("event") or "").strip() or None
        when = (row.get("date") or "").strip()
        try:
            day = date.fromisoformat(when) if when else None
        except ValueError as err:
            raise ExpectationsError(f"{path}:{number}: date {when!r} is not YYYY-MM-DD") from err
        if event is None and day is None:
            raise ExpectationsError(f"{path}:{number}: give an event id or a date")
        countries = frozenset(
            c.strip().upper() for c in (row.get("iso3") or "").split(";") if c.strip()
        )
        label = (row.get("name") or row.get("event_name") or event or when).strip()
        expected.append(
            Expected(number, label, event, day, countries, _hazard(row.get("hazard") or ""))
        )
    if not expected:
        raise ExpectationsError(f"{path}: no rows")
    return expected
