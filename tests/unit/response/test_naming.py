"""Programme names are drafted in the platform's configured zone, not a hard-coded one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from schemas.activations import IncidentSummary
from schemas.hazards import HazardType
from services.response.naming import draft_names


def _new_year_quake() -> IncidentSummary:
    # 31 December 20:00 UTC: already 1 January in Tokyo, still 31 December in New York.
    return IncidentSummary(
        title="Red earthquake alert in Nepal",
        hazard_type=HazardType.EARTHQUAKE,
        countries=["NPL"],
        event_time=datetime(2026, 12, 31, 20, 0, tzinfo=UTC),
    )


def test_the_programme_year_is_the_one_the_configured_zone_saw() -> None:
    assert draft_names(_new_year_quake(), ZoneInfo("Asia/Tokyo")) == (
        "ネパール地震被災者支援2027",
        "Emergency Response to the 2027 Nepal Earthquake",
    )
    assert draft_names(_new_year_quake(), ZoneInfo("America/New_York"))[1] == (
        "Emergency Response to the 2026 Nepal Earthquake"
    )
