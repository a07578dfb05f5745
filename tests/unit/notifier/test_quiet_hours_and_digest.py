"""When a member's mail may go: quiet hours in their zone, activate never held, the digest's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from schemas.activations import Level
from schemas.members import Language
from services.notifier.digests import digest_entries
from services.notifier.local_time import next_digest, quiet_until
from services.notifier.personal import Personal
from services.notifier.preferences import ChoiceError, Preference, Timing, parse_timing
from services.notifier.rendering import Renderer
from tests.integration.notifier.harness import activation

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = Preference(quiet_start=time(22, 0), quiet_end=time(7, 0), time_zone="Asia/Manila")


def utc(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_quiet_hours_across_midnight_end_the_next_local_morning() -> None:
    # 23:30 in Tokyo is 14:30 UTC; the quiet hours end at 07:00 Tokyo, 22:00 UTC.
    assert quiet_until(time(22), time(7), TOKYO, utc(14, 30)) == utc(22, 0)
    # 02:00 in Tokyo (17:00 UTC the day before): the same morning.
    assert quiet_until(time(22), time(7), TOKYO, utc(17, 0)) == utc(22, 0)
    assert quiet_until(time(22), time(7), TOKYO, utc(22, 0)) is None  # 07:00: over
    assert quiet_until(time(22), time(7), TOKYO, utc(3, 0)) is None  # noon
    assert quiet_until(time(12), time(13), TOKYO, utc(3, 30)) == utc(4, 0)  # a lunch hour
    assert quiet_until(time(9), time(9), TOKYO, utc(0, 0)) is None  # no length, no quiet


def test_standby_waits_for_the_end_of_quiet_hours_and_activate_never_does() -> None:
    # 23:00 in Manila (UTC+8) is 15:00 UTC; quiet until 07:00 Manila, 23:00 UTC.
    assert NIGHT.held_until(Level.STANDBY, utc(15), TOKYO) == utc(23)
    assert NIGHT.held_until(Level.WATCH, utc(15), TOKYO) == utc(23)
    assert NIGHT.held_until(Level.ACTIVATE, utc(15), TOKYO) is None
    assert NIGHT.held_until(Level.STANDBY, utc(4), TOKYO) is None  # midday in Manila


def test_an_alert_goes_in_the_digest_of_the_first_digest_hour_after_it_came() -> None:
    at = time(8)
    # 23:30 on the 7th in Tokyo: the digest of 08:00 on the 8th.
    assert next_digest(at, TOKYO, utc(14, 30)) == utc(23, 0)
    assert next_digest(at, TOKYO, utc(22, 59)) == utc(23, 0)  # 07:59 on the 8th
    assert next_digest(at, TOKYO, utc(23, 0)) == utc(23, 0, day=8)  # 08:00 went: the 9th's
    manila = Preference(time_zone="Asia/Manila", digest_at=time(18))
    assert manila.digest_after(utc(11), TOKYO) == (utc(10, day=8), date(2026, 12, 8))


def test_a_contact_without_a_zone_of_their_own_reads_the_configured_one() -> None:
    # settings.duty.timezone is Berlin (UTC+1 in December): no Tokyo behind the contact's back.
    quiet = Preference(quiet_start=time(22, 0), quiet_end=time(7, 0))
    assert quiet.held_until(Level.STANDBY, utc(22), BERLIN) == utc(6, day=8)  # 23:00 Berlin
    assert quiet.held_until(Level.STANDBY, utc(14, 30), BERLIN) is None  # 15:30 in Berlin
    assert quiet.held_until(Level.STANDBY, utc(14, 30), TOKYO) == utc(22)  # 23:30 in Tokyo
    digest = Preference(digest_levels=frozenset({Level.STANDBY}), digest_at=time(8))
    assert digest.digest_after(utc(22), BERLIN) == (utc(7, day=8), date(2026, 12, 8))
    # A zone of its own wins over the configured one.
    manila = Preference(time_zone="Asia/Manila", digest_at=time(18))
    assert manila.digest_after(utc(11), BERLIN) == (utc(10, day=8), date(2026, 12, 8))


def test_activate_never_joins_the_digest_whatever_the_form_says() -> None:
    read = parse_timing(Timing(digest_levels=["standby", "activate"], digest_at="07:30"))
    pref = Preference(**read)
    assert pref.in_digest(Level.STANDBY) and not pref.in_digest(Level.ACTIVATE)
    assert pref.digest_at == time(7, 30)


@pytest.mark.parametrize(
    ("timing", "key"),
    [
        (Timing(time_zone="Asia/Manilla"), "unknown_zone"),
        (Timing(quiet_start="22:00"), "quiet_both"),
        (Timing(quiet_start="25:00", quiet_end="07:00"), "bad_time"),
        (Timing(digest_at="8am"), "bad_time"),
    ],
)
def test_time_fields_that_cannot_be_read_are_refused_by_name(timing: Timing, key: str) -> None:
    with pytest.raises(ChoiceError) as refused:
        parse_timing(timing)
    assert refused.value.key == key


def test_a_digest_lists_each_incident_once_at_the_highest_level_it_reached() -> None:
    quake, flood = uuid4(), uuid4()
    first = activation(Level.WATCH, incident_id=quake)
    upgraded = activation(Level.STANDBY, incident_id=quake, previous=Level.WATCH)
    other = activation(Level.STANDBY, incident_id=flood)
    assert digest_entries([first, other, upgraded]) == [upgraded, other]


def test_an_english_digest_lists_each_incident_with_level_reasons_and_links() -> None:
    renderer = Renderer(preferences_url="https://prefs.example/m")
    upgraded = activation(Level.STANDBY, previous=Level.WATCH)
    watch = activation(Level.WATCH)
    links = Personal(text="Answer: https://console.example/respond/x?lang=en", html="", chat="")
    digest = renderer.digest(
        Language.EN, date(2026, 12, 8), [(upgraded, links), (watch, None)], None
    )
    assert digest.subject == "[standby] Daily digest | 2026-12-08 | 2 incident(s)"
    assert digest.text.count("GDACS alert level Red") == 2  # each incident's reasons
    assert "[STANDBY]" in digest.text and "[WATCH]" in digest.text
    assert "(upgraded from WATCH)" in digest.text
    assert "https://console.example/respond/x?lang=en" in digest.text
    assert "https://prefs.example/m?lang=en" in digest.text and 'lang="en"' in digest.html
