"""Recipient selection is a pure function of the directory, the level, the hazard and where."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import MemberDirectory
from services.common.countries import regions_of
from services.common.members_file import load_member_directory
from services.notifier.recipients import Recipient, select_recipients

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml"

REGIONS = {"PHL": ("Asia", "South-eastern Asia"), "HTI": ("Americas", "Caribbean")}


def fake_regions(iso3: str) -> Iterable[str]:
    return REGIONS.get(iso3, ())


def org(
    oid: str, subscription: dict[str, Any], countries: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": oid,
        "name_ja": oid,
        "name_en": oid,
        "kind": "ngo",
        "countries": countries or [],
        "subscription": subscription,
        "contacts": [{"id": "c", "name": "C", "email": f"c@{oid}.example.org"}],
    }


def chosen(directory: MemberDirectory, level: Level, hazard: HazardType, country: str) -> list[str]:
    picked = select_recipients(
        directory, level=level, hazard=hazard, countries=[country], regions_of=fake_regions
    )
    return [r.organisation.id for r in picked]


def in_the_example_for_the_philippines(level: Level, hazard: HazardType) -> list[Recipient]:
    """Whom the shipped example directory tells about `hazard` in the Philippines at `level`."""
    return select_recipients(
        load_member_directory(EXAMPLE),
        level=level,
        hazard=hazard,
        countries=["PHL"],
        regions_of=regions_of,
    )


DIRECTORY = MemberDirectory.model_validate(
    {
        "organisations": [
            org("everything", {"min_level": "watch"}),
            org("activate-only", {"min_level": "activate"}),
            org("quakes", {"min_level": "standby", "hazard_types": ["EQ"]}),
            org("sea", {"min_level": "standby", "regions": ["South-eastern Asia"]}),
            org("haiti", {"min_level": "standby", "countries": ["HTI"]}),
            org(
                "present",
                {"min_level": "activate", "regions": ["Caribbean"], "presence_min_level": "watch"},
                countries=["PHL"],
            ),
            org("present-no-opt-in", {"min_level": "activate"}, countries=["PHL"]),
        ]
    }
)


def test_an_activation_reaches_everyone_whose_level_hazard_and_area_match() -> None:
    assert chosen(DIRECTORY, Level.ACTIVATE, HazardType.EARTHQUAKE, "PHL") == [
        "everything",
        "activate-only",
        "quakes",
        "sea",
        "present",
        "present-no-opt-in",
    ]


def test_a_standby_skips_organisations_that_only_want_activations() -> None:
    assert chosen(DIRECTORY, Level.STANDBY, HazardType.TROPICAL_CYCLONE, "PHL") == [
        "everything",
        "sea",
        "present",
    ]


def test_presence_opt_in_lowers_the_level_only_in_the_organisations_own_countries() -> None:
    assert "present" in chosen(DIRECTORY, Level.WATCH, HazardType.FLOOD, "PHL")
    assert "present" not in chosen(DIRECTORY, Level.WATCH, HazardType.FLOOD, "HTI")
    assert "present" in chosen(DIRECTORY, Level.ACTIVATE, HazardType.FLOOD, "HTI")


def test_country_subscriptions_ignore_other_countries() -> None:
    assert "haiti" in chosen(DIRECTORY, Level.STANDBY, HazardType.EARTHQUAKE, "HTI")
    assert "haiti" not in chosen(DIRECTORY, Level.STANDBY, HazardType.EARTHQUAKE, "PHL")


def test_level_none_tells_nobody() -> None:
    assert chosen(DIRECTORY, Level.NONE, HazardType.EARTHQUAKE, "PHL") == []


def test_every_contact_of_a_chosen_organisation_is_a_recipient_once() -> None:
    picked = in_the_example_for_the_philippines(Level.ACTIVATE, HazardType.EARTHQUAKE)
    refs = [r.ref for r in picked]
    assert len(refs) == len(set(refs))
    assert "hope-bridge/tanaka" in refs and "hope-bridge/reyes" in refs


def test_the_example_directory_tells_more_members_about_a_red_quake_than_an_orange_cyclone() -> (
    None
):
    quake = in_the_example_for_the_philippines(Level.ACTIVATE, HazardType.EARTHQUAKE)
    cyclone = in_the_example_for_the_philippines(Level.STANDBY, HazardType.TROPICAL_CYCLONE)
    assert len(quake) >= 3
    assert 0 < len(cyclone) < len(quake)
    assert {r.contact.language.value for r in quake} == {"ja", "en"}
    assert {r.organisation.kind.value for r in quake} >= {"ngo", "business", "government"}
