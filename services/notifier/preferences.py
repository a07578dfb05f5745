"""A member's own choices about the mail they get, and the signed links that open them.

Preferences only narrow what the organisation's subscription in `members.yaml` already
covers (decision 0401): a contact can ask for fewer levels, hazards or countries, another
language, a pause, or nothing at all, never for alerts the organisation did not subscribe to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.common.errors import StandbyError

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


class LinkRefusedError(StandbyError):
    """A preference link was altered or signed with another key."""


@dataclass(frozen=True, slots=True)
class ContactRef:
    organisation_id: str
    contact_id: str


class PreferenceLinks:
    """Sign and read the links that open one contact's preference page.

    They carry no expiry: an unsubscribe link in a mail from last year must still work
    (RFC 8058). Rotating the key retires every link at once.
    """

    def __init__(self, key: str, public_url: str) -> None:
        self._serializer = URLSafeSerializer(key, salt="standby.notifier.member-preferences")
        self.base = public_url.rstrip("/")
        # Signing costs ~50 µs, a tenth of a mail's whole CPU budget; a contact's link never
        # changes, so each is signed once per process.
        self.token = lru_cache(maxsize=100_000)(self._sign)

    def _sign(self, organisation_id: str, contact_id: str) -> str:
        return str(self._serializer.dumps([organisation_id, contact_id]))

    def page_url(self, organisation_id: str, contact_id: str) -> str:
        return f"{self.base}/m/{self.token(organisation_id, contact_id)}"

    def unsubscribe_url(self, organisation_id: str, contact_id: str) -> str:
        return f"{self.page_url(organisation_id, contact_id)}/unsubscribe"

    def read(self, token: str) -> ContactRef:
        try:
            organisation_id, contact_id = self._serializer.loads(token)
        except (BadSignature, TypeError, ValueError) as err:
            raise LinkRefusedError("not a preference link of this platform") from err
        return ContactRef(str(organisation_id), str(contact_id))


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
) -> Preference:
    """Turn the preference form into a Preference; raise ValueError naming a bad field."""
    chosen_levels = frozenset(Level(v) for v in levels)
    chosen_hazards = frozenset(HazardType(v) for v in hazards)
    codes = [c.strip().upper() for c in countries.replace("、", ",").split(",") if c.strip()]
    bad = [c for c in codes if len(c) != 3 or not c.isascii() or not c.isalpha()]
    if bad:
        raise ValueError(f"countries: {', '.join(bad)} is not an ISO 3166 alpha-3 code")
    if pause_days == "keep":
        paused_until = keep_pause if keep_pause and keep_pause > now else None
    elif pause_days in ("", "0"):
        paused_until = None
    elif pause_days.isdigit() and int(pause_days) in PAUSE_DAYS:
        paused_until = now + timedelta(days=int(pause_days))
    else:
        raise ValueError(f"pause: {pause_days!r} is not one of {PAUSE_DAYS}")
    all_levels = {Level.WATCH, Level.STANDBY, Level.ACTIVATE}
    return Preference(
        levels=None if chosen_levels >= all_levels else chosen_levels,
        hazards=None if chosen_hazards >= set(HazardType) else chosen_hazards,
        countries=frozenset(codes) or None,
        language=Language(language) if language else None,
        paused_until=paused_until,
        unsubscribed=stop_all,
    )
