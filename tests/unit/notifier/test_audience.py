"""Whom an alert, a stand-down, a coordination notice and a digest reach: the directory, the
incident and each contact's own preference, decided without a database or a broker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from schemas.activations import IncidentSummary, Level
from schemas.deliveries import Channel
from schemas.hazards import HazardType
from schemas.members import Language, MemberDirectory
from services.notifier.preferences import Preference
from services.notifier.recipients import (
    EVERY_CHANNEL,
    AlertAudience,
    alert_audience,
    digest_addressee,
    notice_audience,
    organisations_audience,
)

TOKYO = ZoneInfo("Asia/Tokyo")
# 23:30 in Tokyo.
NOW = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)

DIRECTORY = MemberDirectory.model_validate(
    {
        "organisations": [
            {
                "id": "relief",
                "name_ja": "救援",
                "name_en": "Relief",
                "kind": "ngo",
                "subscription": {"min_level": "standby"},
                "contacts": [
                    {"id": "aya", "name": "Aya", "language": "ja", "email": "aya@relief.example"},
                    {"id": "ben", "name": "Ben", "language": "en", "email": "ben@relief.example"},
                    {"id": "cho", "name": "Cho", "language": "ja", "email": "cho@relief.example"},
                    {"id": "dan", "name": "Dan", "language": "en", "email": "dan@relief.example"},
                ],
            },
            {
                "id": "quakes-only",
                "name_ja": "地震",
                "name_en": "Quakes",
                "kind": "business",
                "subscription": {"min_level": "activate", "hazard_types": ["EQ"]},
                "contacts": [{"id": "eri", "name": "Eri", "email": "eri@quakes.example"}],
            },
        ]
    }
)

QUIET = Preference(time_zone="Asia/Tokyo", quiet_start=clock_time(22), quiet_end=clock_time(7))
DIGEST = Preference(
    time_zone="Asia/Tokyo", digest_levels=frozenset({Level.STANDBY}), digest_at=clock_time(8)
)
PREFERENCES = {
    "relief/aya": Preference(language=Language.EN),
    "relief/ben": QUIET,
    "relief/cho": DIGEST,
    "relief/dan": Preference(paused_until=NOW + timedelta(days=1)),
}


def summary(hazard: HazardType = HazardType.EARTHQUAKE) -> IncidentSummary:
    return IncidentSummary(
        title="Red earthquake alert in the Philippines",
        hazard_type=hazard,
        countries=["PHL"],
        event_time=NOW,
    )


def no_regions(iso3: str) -> Iterable[str]:
    return ()


def audience_of(
    level: Level,
    incident: IncidentSummary | None = None,
    preferences: Mapping[str, Preference] = PREFERENCES,
    zone: ZoneInfo = TOKYO,
) -> AlertAudience:
    """Whom an alert at `level` reaches in DIRECTORY at NOW, regions aside, on a platform in
    `zone` (settings.duty.timezone)."""
    return alert_audience(
        DIRECTORY,
        level=level,
        summary=incident or summary(),
        preferences=preferences,
        now=NOW,
        regions_of=no_regions,
        platform_zone=zone,
    )


def test_a_standby_reaches_the_subscribed_contacts_each_as_their_preference_says() -> None:
    audience = audience_of(Level.STANDBY)
    # Aya reads English now; Ben's quiet hours hold his until 07:00 in Tokyo; Cho takes
    # standby in her digest; Dan paused his mail; the quake-only business wants activations.
    told = [(a.organisation.id, a.contact.id, a.language) for a in audience.addressees]
    assert told == [("relief", "aya", Language.EN), ("relief", "ben", Language.EN)]
    assert audience.held == {"relief/ben": datetime(2026, 12, 1, 22, 0, tzinfo=UTC)}
    assert audience.digest == [("relief", "cho")]
    assert all(a.channels == EVERY_CHANNEL for a in audience.addressees)


def test_quiet_hours_without_a_zone_of_their_own_are_the_configured_zones() -> None:
    # 14:30 UTC: 23:30 in Tokyo, quiet; 15:30 in Berlin, not.
    quiet = {"relief/ben": Preference(quiet_start=clock_time(22), quiet_end=clock_time(7))}
    held = {
        zone: audience_of(Level.STANDBY, preferences=quiet, zone=ZoneInfo(zone)).held
        for zone in ("Asia/Tokyo", "Europe/Berlin")
    }
    assert held == {
        "Asia/Tokyo": {"relief/ben": datetime(2026, 12, 1, 22, 0, tzinfo=UTC)},
        "Europe/Berlin": {},
    }


def test_an_activation_is_never_held_nor_kept_for_a_digest() -> None:
    audience = audience_of(Level.ACTIVATE)
    assert [a.contact.id for a in audience.addressees] == ["aya", "ben", "cho", "eri"]
    assert audience.held == {}
    assert audience.digest == []


def test_a_contact_narrowing_hazards_is_not_told_of_others() -> None:
    floods_only = {"relief/aya": Preference(hazards=frozenset({HazardType.FLOOD}))}
    audience = audience_of(Level.ACTIVATE, summary(HazardType.TROPICAL_CYCLONE), floods_only)
    assert [a.contact.id for a in audience.addressees] == ["ben", "cho", "dan"]


def test_a_stand_down_reaches_those_told_on_the_channels_they_were_told_on() -> None:
    told = [
        ("relief", "aya", Channel.EMAIL),
        ("relief", "aya", Channel.CHAT),
        ("relief", "ben", Channel.EMAIL),
        ("relief", "dan", Channel.EMAIL),
        ("gone", "zoe", Channel.EMAIL),
    ]
    addressees, gone = notice_audience(DIRECTORY, told, PREFERENCES, NOW)
    # Quiet hours do not hold a stand-down; a pause does.
    assert [(a.contact.id, a.language, a.channels) for a in addressees] == [
        ("aya", Language.EN, frozenset({Channel.EMAIL, Channel.CHAT})),
        ("ben", Language.EN, frozenset({Channel.EMAIL})),
    ]
    assert gone == [("gone", "zoe")]


def test_a_coordination_notice_reaches_every_contact_of_the_named_organisations() -> None:
    addressees, missing = organisations_audience(DIRECTORY, ["quakes-only", "left", "relief"])
    assert [(a.organisation.id, a.contact.id, a.language) for a in addressees] == [
        ("quakes-only", "eri", Language.JA),
        ("relief", "aya", Language.JA),
        ("relief", "ben", Language.EN),
        ("relief", "cho", Language.JA),
        ("relief", "dan", Language.EN),
    ]
    assert missing == ["left"]


def test_a_digest_reaches_its_contact_in_their_language_unless_they_left_or_paused() -> None:
    aya = digest_addressee(DIRECTORY, "relief", "aya", PREFERENCES["relief/aya"], NOW)
    assert aya is not None and (aya.contact.id, aya.language) == ("aya", Language.EN)
    assert digest_addressee(DIRECTORY, "relief", "dan", PREFERENCES["relief/dan"], NOW) is None
    assert digest_addressee(DIRECTORY, "relief", "zoe", Preference(), NOW) is None
