"""Mail fatigue: how many mails a member would have received over a replayed history.

Per subscription profile — which levels come at once, which in the daily digest — counted
from the activations the backtest would publish, for a member subscribed everywhere (no
country or region filter): an alert at once is one mail, the digest one mail a day that had
any alert at its levels (the notifier's rule: an alert goes in the first digest at the
member's hour after it was known, 08:00 in the configured zone here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from schemas.activations import Level
from services.notifier.local_time import local_day, next_digest

DIGEST_AT = time(8, 0)
_YEAR_DAYS = 365.25

W, S, A = Level.WATCH, Level.STANDBY, Level.ACTIVATE


@dataclass(frozen=True)
class Profile:
    """Which levels a member takes at once and which in the daily digest."""

    name: str
    at_once: frozenset[Level]
    digest: frozenset[Level] = frozenset()


PROFILES = (
    Profile("watch, standby and activate at once", frozenset({W, S, A})),
    Profile("standby and activate at once (the default)", frozenset({S, A})),
    Profile("standby in the daily digest, activate at once", frozenset({A}), frozenset({S})),
    Profile("watch and standby in the digest, activate at once", frozenset({A}), frozenset({W, S})),
    Profile("activate only", frozenset({A})),
)


@dataclass(frozen=True)
class Fatigue:
    profile: Profile
    at_once: int
    digests: int

    @property
    def mails(self) -> int:
        return self.at_once + self.digests


def fatigue(sent: Sequence[tuple[datetime, Level]], profile: Profile, zone: ZoneInfo) -> Fatigue:
    """Count the mails one profile receives for these published alerts (when known, level),
    its digest at `DIGEST_AT` in `zone` (settings.duty.timezone)."""
    at_once = sum(1 for _, level in sent if level in profile.at_once)
    days = {
        local_day(next_digest(DIGEST_AT, zone, known), zone)
        for known, level in sent
        if level in profile.digest
    }
    return Fatigue(profile, at_once, len(days))


def fatigue_lines(sent: Sequence[tuple[datetime, Level]], zone: ZoneInfo) -> list[str]:
    """Render mails per member over the history and per year, one line per profile."""
    if not sent:
        return ["mails per member: no activation would be published"]
    first, last = min(t for t, _ in sent), max(t for t, _ in sent)
    # A history shorter than a year is not scaled up to one.
    years = max((last - first).days / _YEAR_DAYS, 1.0)
    out = [
        f"mails per member subscribed everywhere, {first:%Y-%m-%d} to {last:%Y-%m-%d} "
        f"({years:.1f} years; digest at {DIGEST_AT:%H:%M} {zone.key}):",
        f"  {'profile':<52} {'at once':>8} {'digests':>8} {'mails':>7} {'per year':>9}",
    ]
    for profile in PROFILES:
        f = fatigue(sent, profile, zone)
        out.append(
            f"  {profile.name:<52} {f.at_once:>8,} {f.digests:>8,} {f.mails:>7,} "
            f"{f.mails / years:>9.1f}"
        )
    return out
