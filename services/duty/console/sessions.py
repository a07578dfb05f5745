"""Console sessions kept server-side: the cookie holds a random id, the duty database the rest.

Logging out, leaving the rota or expiry deletes the row, so a copied cookie stops working at
once instead of living out its signature.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.duty.models import ConsoleSession

SESSION_TTL = timedelta(hours=12)
# Writing last_seen_at on every request would make every page view a write.
_TOUCH_EVERY = timedelta(minutes=1)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(session: AsyncSession, officer_id: str, now: datetime) -> str:
    """Store a new session for an officer and return the id the cookie carries."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id_hash=_hash(session_id),
            officer_id=officer_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    return session_id


async def find_session(session: AsyncSession, session_id: str, now: datetime) -> str | None:
    """Return the officer a live session belongs to; None when it ended or never existed."""
    if len(session_id) > 128:
        return None
    row = await session.get(ConsoleSession, _hash(session_id))
    if row is None:
        return None
    if row.expires_at <= now:
        await session.delete(row)
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return row.officer_id


async def close_session(session: AsyncSession, session_id: str) -> None:
    """End one session (logout)."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _hash(session_id)))


async def end_sessions_of(session: AsyncSession, officer_ids: Iterable[str]) -> int:
    """End every session of these officers; return how many there were."""
    result = await session.execute(
        delete(ConsoleSession).where(ConsoleSession.officer_id.in_(list(officer_ids)))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
