"""What the preference form offers, how it reads a posted form, and what it shows ticked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.notifier.countries import country_choices, country_name
from services.notifier.local_time import DEFAULT_DIGEST_AT, clock_text
from services.notifier.preferences import Preference, Timing, parse_choices

LEVELS = (Level.WATCH, Level.STANDBY, Level.ACTIVATE)
# The levels a member may take in the daily digest: activate always goes at once.
DIGESTIBLE = (Level.WATCH, Level.STANDBY)
# Offered in the time zone field; any IANA zone may be typed.
ZONES = (
    "Asia/Tokyo",
    "Asia/Manila",
    "Asia/Jakarta",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Yangon",
    "Asia/Dhaka",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Karachi",
    "Asia/Kabul",
    "Asia/Dubai",
    "Asia/Amman",
    "Europe/Istanbul",
    "Africa/Nairobi",
    "Africa/Addis_Ababa",
    "Europe/London",
    "Europe/Paris",
    "Europe/Geneva",
    "America/New_York",
    "America/Port-au-Prince",
    "Pacific/Fiji",
    "Pacific/Port_Moresby",
    "UTC",
)


def choices(data: FormData, now: datetime, before: Preference) -> Preference:
    """The preference a posted form chooses; ChoiceError or ValueError says what is wrong."""
    return parse_choices(
        levels=[str(v) for v in data.getlist("levels")],
        hazards=[str(v) for v in data.getlist("hazards")],
        countries=_countries_text(data),
        language=str(data.get("language", "")),
        pause_days=str(data.get("pause", "keep")),
        stop_all=data.get("stop_all") == "1",
        now=now,
        keep_pause=before.paused_until,
        no_levels_confirmed=data.get("no_levels") == "1",
        keep_levels=before.levels,
        timing=Timing(
            time_zone=str(data.get("time_zone", ""))[:64],
            quiet_start=str(data.get("quiet_start", ""))[:8],
            quiet_end=str(data.get("quiet_end", ""))[:8],
            digest_levels=[lv.value for lv in DIGESTIBLE if data.get(f"mode_{lv}") == "digest"],
            digest_at=str(data.get("digest_at", ""))[:8],
        ),
    )


def _countries_text(data: FormData) -> str:
    """The countries ticked (codes) and those typed (names or codes), as one list."""
    ticked = [str(v) for v in data.getlist("country")][:300]
    return ", ".join([*ticked, str(data.get("countries", ""))[:500]])


def _timing_shown(pref: Preference, submitted: FormData | None, zone: str) -> dict[str, Any]:
    """The time fields as stored, or as sent with a refused form; a contact without a zone of
    their own is shown the platform's, `zone` (settings.duty.timezone)."""
    if submitted is not None:
        return {
            "digest": {lv.value for lv in DIGESTIBLE if submitted.get(f"mode_{lv}") == "digest"},
            **{
                name: str(submitted.get(name, ""))[:64]
                for name in ("digest_at", "quiet_start", "quiet_end", "time_zone")
            },
        }

    return {
        "digest": {lv.value for lv in pref.digest_levels},
        "digest_at": clock_text(pref.digest_at or DEFAULT_DIGEST_AT),
        "quiet_start": clock_text(pref.quiet_start) or "",
        "quiet_end": clock_text(pref.quiet_end) or "",
        "time_zone": pref.time_zone or zone,
    }


def refusal_shown(
    refusal: tuple[str, tuple[str, ...]] | None, language: Language
) -> tuple[str, tuple[str, ...]] | None:
    """A refusal's message key and values; the country meant named as the reader names it."""
    if refusal and refusal[0] == "unknown_country_hint":
        given, code = refusal[1]
        return refusal[0], (given, f"{country_name(code, language)} ({code})")
    return refusal


def shown_choice(
    pref: Preference, submitted: FormData | None, language: Language, zone: str
) -> dict[str, Any]:
    """What the form shows ticked: the stored choice, or a refused one as it was sent.

    A refused form comes back as the member left it, so a typo loses nothing.
    """
    if submitted is None:
        levels = {lv.value for lv in (pref.levels if pref.levels is not None else LEVELS)}
        hazards = {h.value for h in (pref.hazards if pref.hazards is not None else HazardType)}
        codes = sorted(pref.countries or ())
        typed = ""
        no_levels = pref.levels is not None and not pref.levels
    else:
        levels = {str(v) for v in submitted.getlist("levels")}
        hazards = {str(v) for v in submitted.getlist("hazards")}
        codes = [str(v) for v in submitted.getlist("country") if len(str(v)) == 3][:300]
        typed = str(submitted.get("countries", ""))[:500]
        no_levels = submitted.get("no_levels") == "1"
    return _timing_shown(pref, submitted, zone) | {
        "levels": levels,
        "hazards": hazards,
        "countries": [(code, country_name(code, language)) for code in codes],
        "typed": typed,
        "no_levels": no_levels,
        "all_countries": country_choices(language),
    }
