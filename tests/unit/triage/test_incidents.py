"""Incident merge: versions, GLIDE numbers, then hazard + country + time window + distance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.hazards import AlertLevel, HazardEvent, HazardType, Source
from services.triage.incidents import Incident, IncidentBook, MergePolicy, distance_km, glide_key
from tests.unit.triage.builders import T0, hours, report


def book() -> IncidentBook:
    return IncidentBook(MergePolicy(window=timedelta(hours=72), distance_km=500))


def relief(source_id: str, **kwargs: object) -> HazardEvent:
    defaults: dict[str, object] = {
        "source": Source.RELIEFWEB,
        "alert": None,
        "lat": None,
        "lon": None,
        "hazard": HazardType.EARTHQUAKE,
    }
    defaults.update(kwargs)
    return report(source_id, **defaults)  # type: ignore[arg-type]


def month_of(at: datetime) -> dict[str, object]:
    return {"at": at.replace(day=1, hour=0, minute=0), "extras": {"event_time_precision": "month"}}


def test_glide_numbers_match_on_their_event_part_across_countries() -> None:
    assert glide_key("FL-2024-000199-ESP") == glide_key("fl-2024-000199-FRA") == "FL-2024-000199"
    assert glide_key("not a glide") is None and glide_key(None) is None


def test_distance_is_great_circle() -> None:
    assert round(distance_km(35.68, 139.69, 34.69, 135.50)) == 396  # Tokyo to Osaka


def test_episodes_of_one_event_are_one_incident() -> None:
    b = book()
    first, created, _ = b.file(report("FL:1102983", version="1", alert=AlertLevel.RED))
    second, created_again, changed = b.file(
        report("FL:1102983", version="2", alert=AlertLevel.ORANGE)
    )
    assert created and not created_again and changed and first is second
    assert second.reports["gdacs:FL:1102983"].version == "2"


def test_a_shared_glide_number_merges_sources_whatever_the_distance_in_time() -> None:
    b = book()
    gdacs, _, _ = b.file(report("EQ:1347183", glide="EQ-2022-000363-IDN", countries=("IDN",)))
    other, created, _ = b.file(
        relief("51392", glide="EQ-2022-000363-IDN", countries=("IDN",), at=T0 + hours(24 * 20))
    )
    assert not created and other is gdacs
    assert gdacs.sources == {Source.GDACS, Source.RELIEFWEB}


def test_same_hazard_same_country_within_window_and_distance_merges() -> None:
    b = book()
    gdacs, _, _ = b.file(report("TC:1", lat=13.0, lon=124.0))
    joined, created, _ = b.file(
        relief("60001", hazard=HazardType.TROPICAL_CYCLONE, at=T0 + hours(30))
    )
    assert not created and joined is gdacs


def test_a_flash_flood_report_joins_a_flood_incident() -> None:
    b = book()
    flood, _, _ = b.file(report("FL:2", countries=("SOM",), lat=2.0, lon=45.0))
    joined, created, _ = b.file(relief("60002", hazard=HazardType.FLASH_FLOOD, countries=("SOM",)))
    assert not created and joined is flood


def test_reports_outside_the_window_or_the_distance_are_separate_incidents() -> None:
    b = book()
    b.file(report("EQ:3", lat=13.0, lon=124.0))
    _, late, _ = b.file(relief("60003", at=T0 + hours(73)))
    assert late
    b = book()
    b.file(report("EQ:3", source=Source.RELIEFWEB, lat=13.0, lon=124.0))
    _, far, _ = b.file(report("EQ:4", lat=7.0, lon=126.0, at=T0 + hours(2)))  # ~700 km away
    assert far


def test_two_events_of_one_source_never_merge_on_proximity() -> None:
    b = book()
    b.file(report("FL:5", lat=13.0, lon=124.0))
    _, created, _ = b.file(report("FL:6", lat=13.1, lon=124.1, at=T0 + hours(1)))
    assert created


def test_different_glide_numbers_keep_nearby_reports_apart() -> None:
    b = book()
    b.file(report("EQ:7", glide="EQ-2026-000001-PHL"))
    _, created, _ = b.file(relief("60004", glide="EQ-2026-000002-PHL", at=T0 + hours(1)))
    assert created


def test_a_report_dated_by_month_joins_the_one_incident_that_began_that_month() -> None:
    b = book()
    when = datetime(2020, 11, 13, 15, tzinfo=UTC)
    storm, _, _ = b.file(report("TC:1000743", countries=("HND",), at=when, lat=15.0, lon=-83.0))
    joined, created, _ = b.file(
        relief("50506", hazard=HazardType.TROPICAL_CYCLONE, countries=("HND",), **month_of(when))
    )
    assert not created and joined is storm
    # The month's first day is not when the storm began.
    assert storm.first_seen == when


NOVEMBER_2020 = datetime(2020, 11, 5, tzinfo=UTC)


def two_storms_in_honduras(first: AlertLevel) -> tuple[IncidentBook, Incident]:
    """Cyclones in Honduras in November 2020: the first at `first`, a red one 200 hours on."""
    b = book()
    b.file(report("TC:1", countries=("HND",), at=NOVEMBER_2020, alert=first))
    red, _, _ = b.file(
        report(
            "TC:2",
            countries=("HND",),
            at=NOVEMBER_2020 + hours(200),
            alert=AlertLevel.RED,
            lat=15.0,
            lon=-86.0,
        )
    )
    return b, red


def storm_of_the_month(source_id: str) -> HazardEvent:
    """A ReliefWeb cyclone in Honduras dated only by its month, November 2020."""
    return relief(
        source_id, hazard=HazardType.TROPICAL_CYCLONE, countries=("HND",), **month_of(NOVEMBER_2020)
    )


def test_a_report_dated_by_month_does_not_guess_between_equally_alarming_incidents() -> None:
    b, _ = two_storms_in_honduras(AlertLevel.RED)
    _, created, _ = b.file(storm_of_the_month("50507"))
    assert created


def test_a_report_dated_by_month_prefers_the_most_alarming_incident() -> None:
    b, red = two_storms_in_honduras(AlertLevel.GREEN)
    joined, _, _ = b.file(storm_of_the_month("50508"))
    assert joined is red


def test_a_report_dated_only_by_year_joins_by_glide_alone() -> None:
    b = book()
    b.file(report("EQ:8"))
    _, created, _ = b.file(
        relief(
            "60005", at=datetime(2026, 1, 1, tzinfo=UTC), extras={"event_time_precision": "year"}
        )
    )
    assert created
