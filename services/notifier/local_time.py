"""When a member's mail may go, in the member's own time zone: quiet hours and the digest hour.

Pure functions of a clock reading: the handlers and the digest loop pass `now` in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_DIGEST_AT = time(8, 0)


def zone_of(name: str | None, platform: ZoneInfo) -> ZoneInfo:
    """The IANA zone by name; for none, the platform's (settings.duty.timezone, the zone the
    pages and mails show), which a contact who set no zone of their own reads (names are
    checked on entry)."""
    if not name:
        return platform
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return platform


def known_zone(name: str) -> bool:
    """Tell whether `name` is an IANA time zone this machine knows."""
    return name in _zones()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def quiet_until(start: time, end: time, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When quiet hours from `start` to `end` (local, may span midnight) end, if `now` is in them."""
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= clock < end:
            return None
        day = local.date()
    else:
        if end <= clock < start:
            return None
        day = local.date() + timedelta(days=1) if clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def next_digest(at: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first digest hour `at` (local) after `after`: an alert's digest goes then."""
    local = after.astimezone(zone)
    due = datetime.combine(local.date(), at, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return due.astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The day it is in `zone` at `moment`."""
    return moment.astimezone(zone).date()


def parse_clock(text: str) -> time | None:
    """Read `HH:MM` or `HH:MM:SS` (24-hour); empty is None; raise ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts[1:]):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    if not parts[0].isdigit() or len(parts[0]) > 2:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    hour, minute, second = (int(p) for p in [*parts, "0"][:3])
    return time(hour, minute, second)


def clock_text(moment: time | None) -> str | None:
    """Write a time of day as `parse_clock` reads it (seconds only when it has some)."""
    if moment is None:
        return None
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
