"""Every event is placed in a country: from codes, names, the GLIDE number or its point."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.hazards import FoundBy, HazardEvent, HazardType, Place, Source
from services.ingester import places
from services.ingester.sources import read_document
from tests.unit.ingester.corpus import rss, rss_item


def event(**fields: Any) -> HazardEvent:
    base: dict[str, Any] = {
        "source": Source.GDACS,
        "source_id": "EQ:1",
        "version": "1",
        "hazard_type": HazardType.EARTHQUAKE,
        "title": "an event",
        "event_time": datetime(2015, 4, 25, 6, 11, tzinfo=UTC),
    }
    return HazardEvent(**(base | fields))


def found(e: HazardEvent) -> list[tuple[str, FoundBy]]:
    return [(p.iso3, p.found_by) for p in places.resolve(e).places]


def test_codes_come_first_and_names_add_the_countries_the_codes_left_out() -> None:
    drought = event(countries=["BRA"], country_names=["Brazil, Argentina, Bolivia, Paraguay"])
    assert found(drought) == [
        ("BRA", FoundBy.CODE),
        ("ARG", FoundBy.NAME),
        ("BOL", FoundBy.NAME),
        ("PRY", FoundBy.NAME),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nepal", ["NPL"]),
        ("Philippines, China", ["PHL", "CHN"]),
        ("Myanmar-India Border Region", ["MMR", "IND"]),
        ("Virgin Islands, British", ["VGB"]),
        ("Burma", ["MMR"]),
        ("Swaziland", ["SWZ"]),
        ("Viet Nam", ["VNM"]),
        ("Off The Coast Of Jalisco, Mexico", ["MEX"]),
        ("Kumamoto", ["JPN"]),
    ],
)
def test_names_lists_regions_and_historic_spellings_resolve(name: str, expected: list[str]) -> None:
    resolved = places.resolve(event(country_names=[name]))
    assert resolved.countries == expected
    assert all(p.found_by is FoundBy.NAME and p.text == name for p in resolved.places)


def test_the_glide_suffix_places_an_event_without_codes_or_names() -> None:
    assert found(event(glide="EQ-2015-000048-NPL")) == [("NPL", FoundBy.GLIDE)]


def test_an_area_name_falls_back_to_the_coordinates() -> None:
    luzon = places.resolve(event(country_names=["Luzon"], lat=16.4, lon=120.6))
    assert luzon.countries == ["PHL"]
    (place,) = luzon.places
    assert place.found_by is FoundBy.COORDINATES
    assert place.distance_km is not None and place.distance_km < 50


def test_an_offshore_point_takes_the_nearest_coast_and_says_how_far() -> None:
    # Off the east coast of Honshu, about 100 km out at sea.
    offshore = places.resolve(event(country_names=[], lat=38.3, lon=142.4))
    assert offshore.countries == ["JPN"]
    assert offshore.places[0].distance_km is not None and offshore.places[0].distance_km > 20


def test_a_point_s_place_is_the_one_validation_would_build() -> None:
    # at_point lays its Place out unvalidated: it must equal the validated one, fields and all.
    (place,) = places.at_point(-0.5, 135.2)
    again = Place.model_validate(place.model_dump())
    assert place == again and place.model_fields_set == again.model_fields_set


def test_every_country_the_point_table_can_answer_is_a_valid_code() -> None:
    codes = set(places._iso2_to_iso3().values())
    assert len(codes) > 240
    for iso3 in codes:
        Place(iso3=iso3, found_by=FoundBy.COORDINATES)


def test_a_mid_ocean_point_stays_unplaced() -> None:
    assert (
        places.resolve(event(country_names=["Mid-Atlantic Ridge"], lat=0.0, lon=-25.0)).countries
        == []
    )


def test_a_names_only_gdacs_item_of_the_older_kind_gets_its_countries() -> None:
    item = rss_item(1_000_001, iso3="").replace(
        "<gdacs:country>Philippines</gdacs:country>",
        "<gdacs:country>Philippines, China</gdacs:country>",
    )
    (resolved,) = read_document(rss(item)).events
    assert resolved.countries == ["PHL", "CHN"]
    assert [p.found_by for p in resolved.places] == [FoundBy.NAME, FoundBy.NAME]
