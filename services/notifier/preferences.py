"""A member's own choices about the mail they get, and the signed links that open them.

Preferences only narrow what the organisation's subscription in `members.yaml` already
covers (decision 0401): a contact can ask for fewer levels, hazards or countries, another
language, a pause, or nothing at all, never for alerts the organisation did not subscribe to.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from time import time as time_now
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.common.errors import StandbyError
from services.notifier.countries import UnknownCountryError, resolve_country
from services.notifier.local_time import (
    DEFAULT_DIGEST_AT,
    known_zone,
    local_day,
    next_digest,
    parse_clock,
    quiet_until,
    zone_of,
)

PAUSE_DAYS = (1, 7, 30)


@dataclass(frozen=True, slots=True)
class Preference:
    """One contact's choices; None means "as the organisation's subscription says"."""

    levels: frozenset[Level] | None = None
    hazards: frozenset[HazardType] | None = None
    countries: frozenset[str] | None = None
    language: Language | None = None
    paused_until: datetime | None = None
    unsubscribed: bool = False
    # Local quiet hours (may span midnight) and the digest hour, in `time_zone` (IANA).
    time_zone: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    # Levels taken in the daily digest rather than at once; activate never is.
    digest_levels: frozenset[Level] = frozenset()
    digest_at: time | None = None

    def in_digest(self, level: Level) -> bool:
        """Tell whether an alert at `level` waits for the daily digest."""
        return level < Level.ACTIVATE and level in self.digest_levels

    def zone(self, platform: ZoneInfo) -> ZoneInfo:
        """The contact's own zone, or the platform's (settings.duty.timezone) if none."""
        return zone_of(self.time_zone, platform)

    def held_until(self, level: Level, now: datetime, platform: ZoneInfo) -> datetime | None:
        """When an alert decided at `now` may go, if the contact's quiet hours hold it.

        Activate is never held (nor is anything the duty officer receives: officers have no
        preferences).
        """
        if level >= Level.ACTIVATE or self.quiet_start is None or self.quiet_end is None:
            return None
        return quiet_until(self.quiet_start, self.quiet_end, self.zone(platform), now)

    def digest_after(self, moment: datetime, platform: ZoneInfo) -> tuple[datetime, date]:
        """When the first digest after `moment` goes, and the contact's local day it is of."""
        zone = self.zone(platform)
        due = next_digest(self.digest_at or DEFAULT_DIGEST_AT, zone, moment)
        return due, local_day(due, zone)

    def silent(self, now: datetime) -> bool:
        """Tell whether the contact asked for no mail at all right now."""
        return self.unsubscribed or (self.paused_until is not None and now < self.paused_until)

    def allows(
        self, *, level: Level, hazard: HazardType, countries: Iterable[str], now: datetime
    ) -> bool:
        """Tell whether an alert the organisation subscribed to may go to this contact."""
        if self.silent(now):
            return False
        if self.levels is not None and level not in self.levels:
            return False
        if self.hazards is not None and hazard not in self.hazards:
            return False
        return self.countries is None or bool(self.countries & set(countries))


NO_PREFERENCE = Preference()


class ChoiceError(ValueError):
    """A choice the page refuses; `key` names the message shown, `values` fill it in."""

    def __init__(self, key: str, message: str, *values: str) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class PreferenceLinkRefusedError(StandbyError):
    """A preference link was altered or signed with another key."""


@dataclass(frozen=True, slots=True)
class ContactRef:
    organisation_id: str
    contact_id: str
    address: str = ""  # a digest of the address the link was mailed to

    def bound_to(self, address: str | None) -> bool:
        """Whether the link was mailed to this address (a changed address retires it)."""
        return hmac.compare_digest(self.address, address_digest(address))


def address_digest(address: str | None) -> str:
    return hashlib.sha256((address or "").strip().lower().encode()).hexdigest()[:16]


class PreferenceLinks:
    """Sign and read the links that open one contact's preference page.

    A link is bound to the address it was mailed to and expires `ttl_days` after the week
    it was issued in (one link per contact a week, signed once per process): a forwarded
    or leaked mail stops opening the page, while an unsubscribe link in any recent mail
    still works (RFC 8058). Every mail carries a fresh one.
    """

    def __init__(
        self,
        key: str | list[bytes],
        public_url: str,
        ttl_days: int = 90,
        clock: Callable[[], float] = time_now,
    ) -> None:
        self._serializer = URLSafeSerializer(key, salt="standby.notifier.member-preferences")
        self.base = public_url.rstrip("/")
        self.ttl_days = ttl_days
        self._clock = clock
        # Signing costs ~50 µs, a tenth of a mail's whole CPU budget; a contact's link
        # changes once a week, so each is signed once per process and week.
        self._signed = lru_cache(maxsize=100_000)(self._sign)

    def _day(self) -> int:
        return int(self._clock() // 86400)

    def _sign(self, organisation_id: str, contact_id: str, address: str, week: int) -> str:
        expires_day = (week + 1) * 7 + self.ttl_days
        claims = [organisation_id, contact_id, address_digest(address), expires_day]
        return str(self._serializer.dumps(claims))

    def token(self, organisation_id: str, contact_id: str, address: str | None) -> str:
        return self._signed(organisation_id, contact_id, address or "", self._day() // 7)

    def page_url(self, organisation_id: str, contact_id: str, address: str | None) -> str:
        return f"{self.base}/m/{self.token(organisation_id, contact_id, address)}"

    def unsubscribe_url(self, organisation_id: str, contact_id: str, address: str | None) -> str:
        return f"{self.page_url(organisation_id, contact_id, address)}/unsubscribe"

    def read(self, token: str) -> ContactRef:
        """The contact a link names; PreferenceLinkRefusedError when forged or expired."""
        try:
            organisation_id, contact_id, address, expires_day = self._serializer.loads(token)
            expires = int(expires_day)
        except (BadSignature, TypeError, ValueError) as err:
            raise PreferenceLinkRefusedError("not a preference link of this platform") from err
        if self._day() >= expires:
            raise PreferenceLinkRefusedError("the preference link has expired")
        return ContactRef(str(organisation_id), str(contact_id), str(address))


def parse_countries(text: str) -> frozenset[str]:
    """Read countries named in Japanese or English, or by code; refuse one that is none."""
    names = [n.strip() for n in re.split(r"[,、;；\n]", text) if n.strip()]
    codes: set[str] = set()
    for name in names:
        try:
            codes.add(resolve_country(name))
        except UnknownCountryError as err:
            if err.suggestion:
                raise ChoiceError("unknown_country_hint", str(err), name, err.suggestion) from err
            raise ChoiceError("unknown_country", str(err), name) from err
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class Timing:
    """The form's time fields as typed: zone, quiet hours, digest levels and hour."""

    time_zone: str = ""
    quiet_start: str = ""
    quiet_end: str = ""
    digest_levels: Sequence[str] = ()
    digest_at: str = ""


def parse_timing(form: Timing) -> dict[str, Any]:
    """Read when mail may go; raise ChoiceError naming what cannot be read."""
    zone = form.time_zone.strip()
    if zone and not known_zone(zone):
        raise ChoiceError("unknown_zone", f"time zone: {zone!r} is not an IANA zone", zone)
    clocks = {}
    for name in ("quiet_start", "quiet_end", "digest_at"):
        try:
            clocks[name] = parse_clock(getattr(form, name))
        except ValueError as err:
            raise ChoiceError("bad_time", f"{name}: {err}", getattr(form, name)) from err
    if (clocks["quiet_start"] is None) != (clocks["quiet_end"] is None):
        raise ChoiceError("quiet_both", "quiet hours need a start and an end")
    return {
        "time_zone": zone or None,
        "quiet_start": clocks["quiet_start"],
        "quiet_end": clocks["quiet_end"],
        # Activate always goes at once, whatever the form says.
        "digest_levels": frozenset(Level(v) for v in form.digest_levels) - {Level.ACTIVATE},
        "digest_at": clocks["digest_at"],
    }


def parse_choices(
    *,
    levels: Sequence[str],
    hazards: Sequence[str],
    countries: str,
    language: str,
    pause_days: str,
    stop_all: bool,
    now: datetime,
    keep_pause: datetime | None,
    no_levels_confirmed: bool = False,
    keep_levels: frozenset[Level] | None = None,
    timing: Timing | None = None,
) -> Preference:
    """Turn the preference form into a Preference; raise ValueError naming a bad field.

    No level ticked would silently mean no alert at all: it is refused (ChoiceError
    `no_levels`) unless the member confirmed it, or stops all mail, or pauses instead.
    """
    chosen_levels = frozenset(Level(v) for v in levels)
    chosen_hazards = frozenset(HazardType(v) for v in hazards)
    codes = parse_countries(countries)
    if pause_days == "keep":
        paused_until = keep_pause if keep_pause and keep_pause > now else None
    elif pause_days in ("", "0"):
        paused_until = None
    elif pause_days.isdigit() and int(pause_days) in PAUSE_DAYS:
        paused_until = now + timedelta(days=int(pause_days))
    else:
        raise ValueError(f"pause: {pause_days!r} is not one of {PAUSE_DAYS}")
    all_levels = {Level.WATCH, Level.STANDBY, Level.ACTIVATE}
    kept: frozenset[Level] | None = None if chosen_levels >= all_levels else chosen_levels
    if not chosen_levels and not no_levels_confirmed:
        if not (stop_all or paused_until):
            raise ChoiceError("no_levels", "levels: none chosen means no alert at all; confirm it")
        # A pause or a stop says what it means; the levels stay as they were for when it ends.
        kept = keep_levels or None
    when = parse_timing(timing or Timing())
    return Preference(
        **when,
        levels=kept,
        hazards=None if chosen_hazards >= set(HazardType) else chosen_hazards,
        countries=codes or None,
        language=Language(language) if language else None,
        paused_until=paused_until,
        unsubscribed=stop_all,
    )
