"""Mail fatigue per subscription profile: at once is a mail an alert, a digest a mail a day."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from schemas.activations import Level
from services.tools.fatigue import PROFILES, Profile, fatigue, fatigue_lines

S, A = Level.STANDBY, Level.ACTIVATE
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


# Tokyo is UTC+9 and the digest goes at 08:00 Tokyo, 23:00 UTC the day before.
SENT = [
    (utc(1, 10), S),  # 19:00 Tokyo on the 1st: the 2nd's digest
    (utc(1, 20), S),  # 05:00 on the 2nd: the 2nd's digest too
    (utc(1, 23), S),  # 08:00 on the 2nd: just after it, the 3rd's
    (utc(2, 1), A),
    (utc(9, 1), S),
]


def test_standby_in_the_digest_is_one_mail_a_day_and_activate_still_one_an_alert() -> None:
    digest = fatigue(SENT, Profile("digest", frozenset({A}), frozenset({S})), TOKYO)
    assert (digest.at_once, digest.digests, digest.mails) == (1, 3, 4)
    at_once = fatigue(SENT, Profile("at once", frozenset({S, A})), TOKYO)
    assert (at_once.at_once, at_once.digests) == (5, 0)


def test_the_report_has_a_line_per_profile_with_mails_per_year() -> None:
    lines = fatigue_lines(SENT, TOKYO)
    assert len(PROFILES) >= 3 and len(lines) == 2 + len(PROFILES)
    assert "(1.0 years" in lines[0]  # a week is not scaled up to a year
    by_name = {p.name: line for p in PROFILES for line in lines if p.name in line}
    assert by_name["activate only"].split()[-4:] == ["1", "0", "1", "1.0"]


def test_the_digest_day_is_the_configured_zones() -> None:
    # 10:00 and 20:00 UTC on the 1st: 19:00 and 05:00 in Tokyo, both the 2nd's digest; 02:00
    # and 12:00 in Los Angeles, the 1st's and the 2nd's.
    angeles = ZoneInfo("America/Los_Angeles")
    digest = Profile("digest", frozenset({A}), frozenset({S}))
    sent = [(utc(1, 10), S), (utc(1, 20), S)]
    assert fatigue(sent, digest, TOKYO).digests == 1
    assert fatigue(sent, digest, angeles).digests == 2
    assert "digest at 08:00 America/Los_Angeles" in fatigue_lines(sent, angeles)[0]
