"""Read and write members' preferences in the notifier's database."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.notifier.local_time import clock_text
from services.notifier.models import PreferenceRow
from services.notifier.preferences import Preference


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time stored here was UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _preference(row: PreferenceRow) -> Preference:
    return Preference(
        levels=frozenset(Level(v) for v in row.levels) if row.levels is not None else None,
        hazards=frozenset(HazardType(v) for v in row.hazards) if row.hazards is not None else None,
        countries=frozenset(row.countries) if row.countries is not None else None,
        language=Language(row.language) if row.language else None,
        paused_until=_aware(row.paused_until),
        unsubscribed=row.unsubscribed,
        time_zone=row.time_zone,
        quiet_start=_clock(row.quiet_start),
        quiet_end=_clock(row.quiet_end),
        digest_levels=frozenset(Level(v) for v in row.digest_levels or ()),
        digest_at=_clock(row.digest_at),
    )


def _clock(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


async def all_preferences(session: AsyncSession) -> dict[str, Preference]:
    """Load every stored preference, keyed by contact ref (`organisation/contact`)."""
    rows = await session.execute(select(PreferenceRow))
    return {f"{r.organisation_id}/{r.contact_id}": _preference(r) for r in rows.scalars()}


async def preference_of(
    session: AsyncSession, organisation_id: str, contact_id: str
) -> Preference | None:
    row = await session.get(PreferenceRow, (organisation_id, contact_id))
    return _preference(row) if row is not None else None


async def save_preference(
    session: AsyncSession,
    organisation_id: str,
    contact_id: str,
    preference: Preference,
    now: datetime,
) -> None:
    """Store a contact's preference, replacing any earlier one."""
    row = await session.get(PreferenceRow, (organisation_id, contact_id))
    if row is None:
        row = PreferenceRow(organisation_id=organisation_id, contact_id=contact_id)
        session.add(row)
    row.levels = (
        sorted(v.value for v in preference.levels) if preference.levels is not None else None
    )
    row.hazards = (
        sorted(v.value for v in preference.hazards) if preference.hazards is not None else None
    )
    row.countries = sorted(preference.countries) if preference.countries is not None else None
    row.language = preference.language.value if preference.language else None
    row.paused_until = preference.paused_until
    row.unsubscribed = preference.unsubscribed
    row.time_zone = preference.time_zone
    row.quiet_start = clock_text(preference.quiet_start)
    row.quiet_end = clock_text(preference.quiet_end)
    row.digest_levels = sorted(v.value for v in preference.digest_levels) or None
    row.digest_at = clock_text(preference.digest_at)
    row.updated_at = now
