"""Members' preferences: they only narrow, pauses end, and the form's input is checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.notifier.preferences import (
    NO_PREFERENCE,
    ChoiceError,
    Preference,
    PreferenceLinkRefusedError,
    PreferenceLinks,
    parse_choices,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
QUAKE = {"level": Level.ACTIVATE, "hazard": HazardType.EARTHQUAKE, "countries": ["PHL"]}


def choose(**overrides: object) -> Preference:
    form: dict[str, object] = {
        "levels": ["watch", "standby", "activate"],
        "hazards": [h.value for h in HazardType],
        "countries": "",
        "language": "",
        "pause_days": "0",
        "stop_all": False,
        "now": NOW,
        "keep_pause": None,
    }
    return parse_choices(**(form | overrides))  # type: ignore[arg-type]


def test_no_choice_lets_through_all_the_organisation_subscribed_to() -> None:
    assert NO_PREFERENCE.allows(**QUAKE, now=NOW)
    assert choose() == NO_PREFERENCE


def test_levels_hazards_and_countries_narrow_what_arrives() -> None:
    assert not choose(levels=["standby"]).allows(**QUAKE, now=NOW)
    assert not choose(hazards=["TC"]).allows(**QUAKE, now=NOW)
    assert not choose(countries="jpn, IDN").allows(**QUAKE, now=NOW)
    assert choose(countries="phl、idn").allows(**QUAKE, now=NOW)


def test_a_pause_ends_by_itself_and_stop_all_does_not() -> None:
    paused = choose(pause_days="7")
    assert paused.paused_until == NOW + timedelta(days=7)
    assert not paused.allows(**QUAKE, now=NOW + timedelta(days=6))
    assert paused.allows(**QUAKE, now=NOW + timedelta(days=7, seconds=1))
    stopped = choose(stop_all=True)
    assert stopped.silent(NOW + timedelta(days=3650))
    kept = choose(pause_days="keep", keep_pause=NOW + timedelta(days=1))
    assert kept.paused_until == NOW + timedelta(days=1)


def test_the_form_names_the_field_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="countries: Japn"):
        choose(countries="Japn, Japan")
    with pytest.raises(ValueError, match="pause"):
        choose(pause_days="365")
    with pytest.raises(ValueError):
        choose(levels=["panic"])
    assert choose(language="ja").language is Language.JA


def test_a_link_names_one_contact_and_an_altered_one_is_refused() -> None:
    links = PreferenceLinks("k" * 40, "https://alerts.example.org/")
    url = links.page_url("peace-winds", "tanaka", "tanaka@peacewinds.jp")
    assert url.startswith("https://alerts.example.org/m/")
    token = url.rsplit("/", 1)[1]
    ref = links.read(token)
    assert (ref.organisation_id, ref.contact_id) == ("peace-winds", "tanaka")
    with pytest.raises(PreferenceLinkRefusedError):
        links.read(token[:-2] + "xx")
    with pytest.raises(PreferenceLinkRefusedError):
        PreferenceLinks("o" * 40, "https://x").read(token)


def test_a_link_is_bound_to_its_address_and_expires_after_its_days() -> None:
    day = 86400.0
    now = [20_000 * day]
    links = PreferenceLinks("k" * 40, "https://x", ttl_days=90, clock=lambda: now[0])
    token = links.token("peace-winds", "tanaka", "Tanaka@PeaceWinds.jp")
    ref = links.read(token)
    assert ref.bound_to("tanaka@peacewinds.jp") and not ref.bound_to("someone@else.jp")
    now[0] += 90 * day  # still inside: 90 days after the end of the week it was mailed in
    assert links.read(token).contact_id == "tanaka"
    now[0] += 8 * day
    with pytest.raises(PreferenceLinkRefusedError, match="expired"):
        links.read(token)
    assert links.token("peace-winds", "tanaka", "tanaka@peacewinds.jp") != token  # a fresh one


def test_countries_are_read_from_names_in_either_language_or_codes() -> None:
    chosen = choose(countries="フィリピン、Nepal, idn; Viet Nam")
    assert chosen.countries == {"PHL", "NPL", "IDN", "VNM"}


@pytest.mark.parametrize(
    ("typed", "meant"), [("PHI", "PHL"), ("GER", "DEU"), ("Phillipines", "PHL"), ("INA", "IDN")]
)
def test_a_code_or_name_that_is_no_country_is_refused_with_the_one_meant(
    typed: str, meant: str
) -> None:
    with pytest.raises(ChoiceError) as refused:
        choose(countries=f"JPN, {typed}")
    assert refused.value.key == "unknown_country_hint"
    assert refused.value.values == (typed, meant)


def test_a_name_like_no_country_is_refused_without_a_guess() -> None:
    with pytest.raises(ChoiceError) as refused:
        choose(countries="Atlantis")
    assert (refused.value.key, refused.value.values) == ("unknown_country", ("Atlantis",))


def test_no_level_is_refused_unless_confirmed_stopped_or_paused() -> None:
    with pytest.raises(ChoiceError) as refused:
        choose(levels=[])
    assert refused.value.key == "no_levels"
    confirmed = choose(levels=[], no_levels_confirmed=True)
    assert confirmed.levels == frozenset()
    assert not confirmed.allows(**QUAKE, now=NOW)
    assert choose(levels=[], stop_all=True).unsubscribed
    # A pause with no level ticked is a pause: when it ends, the levels are as they were.
    paused = choose(levels=[], pause_days="7", keep_levels=frozenset({Level.ACTIVATE}))
    assert paused.paused_until == NOW + timedelta(days=7)
    assert paused.allows(**QUAKE, now=NOW + timedelta(days=8))
