"""The runtime's generated demo documents read like the real feed."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.hazards import AlertLevel
from services.ingester.sources import read_document
from services.runtime.scenario import demo_events, gdacs_rss


def test_the_demo_scenario_parses_to_its_three_events_with_every_field() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    scenario = demo_events(now)
    result = read_document(gdacs_rss(scenario))
    assert result.rejections == [] and result.dropped_fields == []
    events = {e.source_id: e for e in result.events}
    assert len(events) == 3
    for spec in scenario:
        event = events[f"{spec.event_type}:{spec.event_id}"]
        assert event.version == str(spec.episode_id)
        assert event.alert_level is AlertLevel(spec.alert_level.lower())
        assert event.countries == [spec.iso3]
        if spec.event_type == "FL":
            # GDACS floods state the death toll in `population`: it is not an exposure.
            assert event.population_exposed is None
            assert event.impact is not None
            assert (event.impact.deaths, event.impact.displaced) == (0, 120)
        else:
            assert event.population_exposed == spec.population
        assert event.population is not None and event.population.text == spec.population_text
        assert event.severity is not None and event.severity.text == spec.severity_text
        assert (event.lat, event.lon) == (spec.lat, spec.lon)
        assert event.event_time == spec.from_date.replace(microsecond=0)
