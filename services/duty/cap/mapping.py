"""CAP's category, urgency, severity, certainty and response type from a level and a hazard.

The table is decision 0700's; change both together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardType


class Kind(StrEnum):
    """What a CAP message of standby announces."""

    ACTIVATION = "activation"
    LAUNCH = "launch"
    STAND_DOWN = "stand_down"
    CLOSE = "close"  # the launched programme was closed
    WITHDRAWN = "withdrawn"  # the source withdrew every report of the incident


_CATEGORY = {
    HazardType.EARTHQUAKE: "Geo",
    HazardType.TSUNAMI: "Geo",
    HazardType.VOLCANO: "Geo",
    HazardType.LANDSLIDE: "Geo",
    HazardType.TROPICAL_CYCLONE: "Met",
    HazardType.FLOOD: "Met",
    HazardType.FLASH_FLOOD: "Met",
    HazardType.STORM: "Met",
    HazardType.DROUGHT: "Met",
    HazardType.COLD_WAVE: "Met",
    HazardType.HEAT_WAVE: "Met",
    HazardType.WILDFIRE: "Fire",
    HazardType.EPIDEMIC: "Health",
    HazardType.OTHER: "Other",
}

# Forecast-driven alerts: GDACS rates a cyclone or a tsunami on its predicted path.
_FORECAST = {HazardType.TROPICAL_CYCLONE, HazardType.TSUNAMI}
# Slow-onset hazards: members act within days, not hours, whatever the level.
_SLOW_ONSET = {HazardType.DROUGHT, HazardType.EPIDEMIC}

_URGENCY = {Level.WATCH: "Future", Level.STANDBY: "Expected", Level.ACTIVATE: "Immediate"}
_RESPONSE = {Level.WATCH: "Monitor", Level.STANDBY: "Prepare", Level.ACTIVATE: "Execute"}
_SEVERITY_BY_ALERT = {
    AlertLevel.RED: "Extreme",
    AlertLevel.ORANGE: "Severe",
    AlertLevel.GREEN: "Minor",
}
_SEVERITY_BY_LEVEL = {Level.WATCH: "Minor", Level.STANDBY: "Moderate", Level.ACTIVATE: "Severe"}


@dataclass(frozen=True)
class Classification:
    category: str
    urgency: str
    severity: str
    certainty: str
    response_type: str


def classify(
    kind: Kind, level: Level, hazard: HazardType, alert_level: AlertLevel | None
) -> Classification:
    """Say how urgent, severe and certain a message is, for the hazard at the level reached."""
    if kind in (Kind.STAND_DOWN, Kind.CLOSE, Kind.WITHDRAWN):
        urgency, response = "Past", "AllClear"
    elif kind is Kind.LAUNCH:
        urgency, response = "Immediate", "Execute"
    else:
        urgency, response = _URGENCY.get(level, "Unknown"), _RESPONSE.get(level, "None")
    if hazard in _SLOW_ONSET and urgency == "Immediate":
        urgency = "Expected"
    if alert_level is not None:
        severity = _SEVERITY_BY_ALERT[alert_level]
    else:
        severity = _SEVERITY_BY_LEVEL.get(level, "Unknown")
    certainty = "Likely" if hazard in _FORECAST else "Observed"
    return Classification(_CATEGORY[hazard], urgency, severity, certainty, response)
