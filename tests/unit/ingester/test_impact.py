"""Deaths, displaced, affected and exposed are read apart: a death toll is not an exposure."""

from __future__ import annotations

from schemas.hazards import HazardType
from services.ingester.impact import from_description, from_gdacs_population, from_sendai, read_text
from services.ingester.sources import read_document
from services.ingester.sources.base import hazard_type
from tests.unit.ingester.corpus import rss, rss_item


def test_a_gdacs_flood_population_that_counts_the_dead_is_not_an_exposure() -> None:
    impact = from_gdacs_population(121, "Population Affected", "121 killed and 2400 displaced")
    assert impact is not None
    assert (impact.deaths, impact.displaced, impact.exposed) == (121, 2400, None)


def test_an_earthquake_mmi_population_is_an_exposure_with_its_words() -> None:
    impact = from_gdacs_population(3667, "in MMI>=V", "4 thousand in MMI>=V")
    assert impact is not None
    assert (impact.exposed, impact.exposed_text, impact.deaths) == (
        3667,
        "4 thousand in MMI>=V",
        None,
    )


def test_a_cyclone_wind_population_is_an_exposure() -> None:
    impact = from_gdacs_population(
        450_000,
        "Population affected by Category 1 (120 km/h) wind speeds or higher",
        "0.45 million in Category 1 or higher",
    )
    assert impact is not None and impact.exposed == 450_000 and impact.affected is None


def test_counts_in_words_with_scales_and_qualifiers() -> None:
    text = "The floods killed at least 1,200 people and displaced more than 2.4 million; 300,000 people affected"
    assert read_text(text) == {"deaths": 1200, "displaced": 2_400_000, "affected": 300_000}
    assert read_text("Magnitude 7.8M, Depth:8.22km") == {}


def test_sendai_records_add_up_per_kind_and_keep_the_larger_figure() -> None:
    records = [
        {"latest": True, "sendainame": "death", "sendaivalue": "62"},
        {"latest": True, "sendainame": "death", "sendaivalue": "1"},
        {"latest": False, "sendainame": "death", "sendaivalue": "900"},
        {"latest": True, "sendainame": "displaced", "sendaivalue": "40"},
        {"latest": True, "sendainame": "rescued", "sendaivalue": "26"},
    ]
    impact = from_sendai(records, None)
    assert impact is not None and (impact.deaths, impact.displaced) == (63, 40)


def test_reliefweb_descriptions_yield_their_counts() -> None:
    impact = from_description("Heavy rains killed 20 people and displaced 3,000 in the north.")
    assert impact is not None and (impact.deaths, impact.displaced) == (20, 3000)
    assert from_description("Heavy rains in the north.") is None


def test_a_parsed_flood_item_carries_deaths_and_no_exposure() -> None:
    item = rss_item(1_000_002, event_type="FL").replace(
        '<gdacs:population unit="(in MMI&gt;=VII)" value="2114000">2.1 million (in MMI&gt;=VII)</gdacs:population>',
        '<gdacs:population unit="Population Affected" value="121">121 killed and 2400 displaced</gdacs:population>',
    )
    (event,) = read_document(rss(item)).events
    assert event.population_exposed is None
    assert event.impact is not None and (event.impact.deaths, event.impact.displaced) == (121, 2400)


def test_gdacs_variant_codes_keep_their_hazard() -> None:
    assert hazard_type("EQx") is HazardType.EARTHQUAKE
    assert hazard_type("TCx") is HazardType.TROPICAL_CYCLONE
    assert hazard_type("ZZ") is HazardType.OTHER
