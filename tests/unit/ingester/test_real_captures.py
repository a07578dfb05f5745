"""Every item of every real capture normalises, and keeps the fields a triage rule may need."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from schemas.hazards import AlertLevel, HazardEvent, HazardType, Source
from services.common.errors import SourceError
from services.ingester.sources import parse_document, read_document

RSS_7D = "gdacs/gdacs_rss7d_whatisc-up25_2022-11-26.xml"
RSS_2019 = "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_full_2019-12-30.xml"
API_FL_EP1 = "gdacs/gdacs_api_geteventdata_FL-1102983-ep1_red_pystac-monty.json"
API_FL_EP2 = "gdacs/gdacs_api_getepisodedata_FL-1102983-ep2_orange_pystac-monty.json"
RW_LIST = "reliefweb/reliefweb_v1_disasters-list-limit1000_ocha-hdx-scraper-reliefweb.json"
RW_ONE = "reliefweb/reliefweb_v1_disaster-25846_ocha-hdx-scraper-reliefweb.json"


def read(fixtures: Path, name: str) -> list[HazardEvent]:
    result = read_document((fixtures / name).read_bytes(), name=name)
    assert result.rejections == []
    assert result.dropped_fields == []
    return result.events


def by_id(events: list[HazardEvent]) -> dict[str, HazardEvent]:
    return {e.source_id: e for e in events}


def test_every_item_of_every_feed_capture_normalises(real_captures: Path) -> None:
    expected = {
        RSS_7D: 315,
        RSS_2019: 16,
        "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_test-fixture-1.xml": 4,
        "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_test-fixture-2.xml": 1,
        API_FL_EP1: 1,
        API_FL_EP2: 1,
        "gdacs/gdacs_api_geteventdata_DR-1016449_green_pystac-monty.json": 1,
        "gdacs/gdacs_api_geteventdata_TC-1001253_green_pystac-monty.json": 1,
        "gdacs/gdacs_api_geteventdata_WF-1028649_green_pystac-monty.json": 1,
        "gdacs/gdacs_api_getgeometry_DR-1016449-ep1_pystac-monty.geojson": 1,
        "gdacs/gdacs_api_getgeometry_TC-1001253-ep1_pystac-monty.geojson": 1,
        "gdacs/gdacs_archive-geojson_KubaSzostak-hazardcrawler_2021-04.geojson": 58,
        "gdacs/gdacs_geojson-feed_Shaunak-Kunde-GDACS-Live-Data-Host_2026-05.geojson": 36,
        RW_LIST: 1000,
        RW_ONE: 1,
        "reliefweb/reliefweb_v1_disaster-25466_ocha-hdx-scraper-reliefweb.json": 1,
    }
    for name, count in expected.items():
        events = read(real_captures, name)
        assert len(events) == count, name
        assert len({e.key for e in events}) == count, f"{name}: one event per source id"


def test_rss_7d_keeps_alert_levels_types_and_currency_as_published(
    real_captures: Path,
) -> None:
    events = read(real_captures, RSS_7D)
    assert Counter(e.hazard_type.value for e in events) == {
        "WF": 161, "EQ": 127, "DR": 17, "FL": 9, "VO": 1,
    }  # fmt: skip
    assert Counter(e.alert_level.value for e in events if e.alert_level) == {
        "green": 307, "orange": 7, "red": 1,
    }  # fmt: skip
    assert Counter(e.is_current for e in events) == {True: 155, False: 160}
    assert sum(1 for e in events if e.glide) == 10
    assert all(e.source is Source.GDACS and e.version.isdigit() for e in events)
    assert all(e.lat is not None and e.lon is not None and e.bbox for e in events)
    assert all(e.severity is not None and e.population is not None for e in events)


def test_the_red_earthquake_of_the_7_day_feed_carries_every_triage_field(
    real_captures: Path,
) -> None:
    red = by_id(read(real_captures, RSS_7D))["EQ:1347183"]
    assert red.version == "1474345"
    assert red.hazard_type is HazardType.EARTHQUAKE
    assert red.alert_level is AlertLevel.RED
    assert red.episode_alert_level is AlertLevel.RED
    assert red.alert_score == pytest.approx(2.4947, abs=1e-3)
    assert red.severity is not None
    assert (red.severity.value, red.severity.unit) == (5.6, "M")
    assert red.severity.text == "Magnitude 5.6M, Depth:10km"  # feedparser alone loses this text
    assert red.population is not None
    assert red.population.text == "610 thousand (in MMI>=VII)"
    assert red.population_exposed == 614068
    assert red.countries == ["IDN"]
    assert red.glide == "EQ-2022-000363-IDN"
    assert (red.lat, red.lon) == (-6.8531, 107.0946)
    assert red.bbox == (103.0946, -10.8531, 111.0946, -2.8531)
    assert red.event_time.isoformat() == "2022-11-21T06:21:10+00:00"
    assert red.is_current is False
    rels = {link.rel for link in red.links}
    assert {"report", "cap", "event_rss"} <= rels


def test_every_gdacs_resource_becomes_a_link(real_captures: Path) -> None:
    cyclone = by_id(read(real_captures, RSS_2019))["TC:1000643"]
    rels = {link.rel for link in cyclone.links}
    assert {"report", "cap", "UNOSATmaps_country", "interactive_event_map", "link_bom"} <= rels
    assert cyclone.extras["gdacs_vulnerability"] == {"value": "2", "text": "Medium"}


def test_an_item_without_gdacs_ids_takes_its_identity_from_the_report_link(
    real_captures: Path,
) -> None:
    (event,) = read(real_captures, "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_test-fixture-2.xml")
    assert event.source_id == "TC:1000643"
    assert event.extras["version_from"] == "datemodified"
    assert event.bbox == (55.0780533046962, -46.7828750315965, 81.0780533046962, -20.7828750315965)


def test_api_episodes_of_one_flood_are_versions_of_one_event(real_captures: Path) -> None:
    (first,) = read(real_captures, API_FL_EP1)
    (second,) = read(real_captures, API_FL_EP2)
    assert first.key == second.key == "gdacs:FL:1102983"
    assert (first.version, second.version) == ("1", "2")
    assert (first.alert_level, second.alert_level) == (AlertLevel.RED, AlertLevel.ORANGE)
    assert second.episode_alert_level is AlertLevel.GREEN
    assert first.countries == ["ESP"] and first.glide == "FL-2024-000199-ESP"
    assert (first.lat, first.lon) == pytest.approx((38.6013, -3.4110), abs=1e-3)
    assert {link.rel for link in first.links} == {"geometry", "report", "details"}


def test_the_same_event_from_rss_and_from_the_api_has_the_same_source_id(
    real_captures: Path,
) -> None:
    rss = by_id(read(real_captures, RSS_7D))
    archive = by_id(
        read(real_captures, "gdacs/gdacs_archive-geojson_KubaSzostak-hazardcrawler_2021-04.geojson")
    )
    # The captures are from different years; the id scheme is what must agree.
    assert all(":" in sid and sid.split(":")[1].isdigit() for sid in [*rss, *archive])
    feed_item = (real_captures / RSS_7D).read_bytes().split(b"<item>")[1].split(b"</item>")[0]
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [142.4756, 32.3345]},
        "properties": {
            "eventtype": "EQ", "eventid": 1347961, "episodeid": 1475389, "alertlevel": "Green",
            "fromdate": "2022-11-26T20:00:19", "iso3": "", "name": "Earthquake in Japan",
        },
    }  # fmt: skip
    (from_api,) = parse_document(json.dumps(feature).encode())
    assert b"<gdacs:eventid>1347961</gdacs:eventid>" in feed_item
    assert from_api.source_id == rss["EQ:1347961"].source_id
    assert from_api.version == rss["EQ:1347961"].version


def test_geojson_feed_uses_the_centroid_and_reads_its_date_format(real_captures: Path) -> None:
    events = read(
        real_captures, "gdacs/gdacs_archive-geojson_KubaSzostak-hazardcrawler_2021-04.geojson"
    )
    quake = by_id(events)["EQ:1265240"]
    assert quake.version == "1370727"
    assert quake.event_time.isoformat() == "2021-04-18T06:41:50+00:00"
    assert (quake.lat, quake.lon) == (29.7874, 50.6693)
    assert Counter(e.alert_level.value for e in events if e.alert_level) == {
        "orange": 43, "red": 15,
    }  # fmt: skip


def test_reliefweb_statuses_map_to_alert_current_past_keeping_the_original(
    real_captures: Path,
) -> None:
    events = read(real_captures, RW_LIST)
    assert Counter(e.status for e in events) == {"past": 917, "current": 73, "alert": 7, None: 3}
    archived = next(e for e in events if e.extras.get("reliefweb_status") == "alert-archive")
    assert archived.status == "past"
    chad = by_id(events)["52108"]
    assert chad.source is Source.RELIEFWEB
    assert chad.glide == "FL-2024-000139-TCD"
    assert chad.hazard_type is HazardType.FLOOD
    assert chad.countries == ["TCD"]
    assert chad.event_time.isoformat() == "2024-08-01T00:00:00+00:00"
    assert chad.extras["event_time_precision"] == "month"


def test_a_full_reliefweb_disaster_keeps_type_country_glide_and_dates(
    real_captures: Path,
) -> None:
    (event,) = read(real_captures, RW_ONE)
    assert event.source_id == "25846"
    assert event.hazard_type is HazardType.FLASH_FLOOD
    assert event.countries == ["MKD"]
    assert event.country_names == ["North Macedonia"]
    assert event.glide == "FF-2015-000115-MKD"
    assert event.status == "past"
    assert event.version == "2018-05-22T17:01:25+00:00"
    assert event.event_time.isoformat() == "2015-08-03T00:00:00+00:00"
    assert event.lat is None  # a country centroid is not the disaster's place
    assert event.extras["country_location"] == {"lat": 41.6, "lon": 21.7}
    assert {link.rel for link in event.links} == {"reliefweb", "details"}


def test_a_tropical_cyclone_impact_file_is_not_taken_for_a_feed(real_captures: Path) -> None:
    data = (real_captures / "gdacs/gdacs_tc_impact_TC-1001253-ep1_pystac-monty.json").read_bytes()
    with pytest.raises(SourceError) as caught:
        parse_document(data)
    assert caught.value.reason == "not_a_feed"


def test_at_least_98_percent_of_real_items_are_placed_and_the_rest_lie_at_sea(
    real_captures: Path,
) -> None:
    from services.ingester import places

    total = placed = 0
    for path in sorted(real_captures.rglob("*")):
        if path.suffix not in (".xml", ".json", ".geojson"):
            continue
        try:
            events = parse_document(path.read_bytes(), name=path.name)
        except SourceError:
            continue  # the TC impact advisory is not a feed
        # The USGS FDSN capture is a box over the western US whose ocean ridges (Gorda,
        # Blanco) hold 53 of its 456 quakes: a sample of the sea, not of a feed's mix. Its
        # unplaced quakes are still checked to lie at sea below.
        if "usgs" not in path.relative_to(real_captures).parts:
            total += len(events)
            placed += sum(1 for e in events if e.countries)
        for event in events:
            assert [p.iso3 for p in event.places] == event.countries
            if event.countries or event.lat is None or event.lon is None:
                continue
            # What stays unplaced is at sea: farther from land than an offshore point may be.
            nearest = places.nearest_place(event.lat, event.lon)
            assert nearest is not None and nearest[1] > places.MAX_OFFSHORE_KM, event.key
    assert total > 400
    assert placed / total >= 0.98, f"{placed}/{total}"
