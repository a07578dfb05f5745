"""What counts as news: new events and changed versions, never a repeat or a stale copy."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.hazards import AlertLevel, HazardEvent, HazardType, Measure, Source
from services.ingester.changes import Seen, compare_versions, judge


def quake(version: str = "10", **fields: object) -> HazardEvent:
    values: dict[str, object] = {
        "source": Source.GDACS,
        "source_id": "EQ:1",
        "version": version,
        "hazard_type": HazardType.EARTHQUAKE,
        "title": "quake",
        "event_time": datetime(2026, 11, 23, tzinfo=UTC),
        "alert_level": AlertLevel.ORANGE,
        "severity": Measure(value=6.1, unit="M"),
        "population_exposed": 1000,
    }
    values.update(fields)
    return HazardEvent.model_validate(values)


def published(event: HazardEvent) -> Seen:
    decision = judge(event, None)
    assert decision.publish and decision.seen is not None
    return decision.seen


def test_an_event_never_seen_is_published() -> None:
    assert judge(quake(), None).why == "new"


def test_the_same_version_with_the_same_values_is_not_published_again() -> None:
    seen = published(quake())
    assert judge(quake(), seen).publish is False


def test_a_new_episode_is_published() -> None:
    seen = published(quake("10"))
    decision = judge(quake("11"), seen)
    assert decision.publish and decision.why == "new_version"


def test_an_older_episode_arriving_late_is_ignored() -> None:
    seen = published(quake("11"))
    assert judge(quake("9"), seen).why == "older_version"
    assert judge(quake("9", alert_level=AlertLevel.RED), seen).publish is False


def test_episode_ids_compare_as_numbers_not_text() -> None:
    assert compare_versions("10", "9") == 1
    assert compare_versions("2026-11-23T10:00:00+00:00", "2026-11-22T10:00:00+00:00") == 1
    assert compare_versions("status:current", "status:alert") == 1


def test_an_alert_upgrade_within_one_episode_is_published() -> None:
    seen = published(quake())
    decision = judge(quake(alert_level=AlertLevel.RED), seen)
    assert decision.publish and decision.why == "changed:alert_level"


def test_changed_severity_or_population_is_published() -> None:
    seen = published(quake())
    assert judge(quake(severity=Measure(value=7.0, unit="M")), seen).why == "changed:severity"
    assert judge(quake(population_exposed=2_000_000), seen).why == "changed:population_exposed"


def test_a_source_that_omits_population_does_not_make_the_event_flap() -> None:
    from_rss = published(quake())
    from_api = quake(population_exposed=None)
    decision = judge(from_api, from_rss)
    assert decision.publish is False
    assert judge(quake(), decision.seen).publish is False


def test_a_status_change_on_reliefweb_is_published() -> None:
    alert = quake("status:alert", status="alert", source=Source.RELIEFWEB, source_id="52104")
    seen = published(alert)
    current = quake("status:alert", status="current", source=Source.RELIEFWEB, source_id="52104")
    assert judge(current, seen).why == "changed:status"


def test_the_record_survives_a_round_trip_through_text() -> None:
    seen = published(quake())
    restored = Seen.loads(seen.version, seen.dumps())
    assert restored == seen
    assert judge(quake(), restored).publish is False
