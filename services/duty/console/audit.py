"""The console's security audit trail: recorded in the duty database, counted in metrics."""

from __future__ import annotations

import asyncio
import ipaddress
import weakref
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import Transaction, upsert
from services.common.logs import get_logger
from services.duty import metrics
from services.duty.console.sessions import end_sessions_of
from services.duty.models import RotaMember, SecurityEvent
from services.duty.rota import Rota

log = get_logger(__name__)


class SecurityKind(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    SESSION_ENDED = "session_ended"
    LINK_REFUSED = "link_refused"
    ROTA_REMOVED = "rota_removed"
    ORIGIN_REFUSED = "origin_refused"


# Events anyone can cause without a session (a made-up link, a cross-site POST, a throttled
# burst) are written at most this many times per source and kind a minute; past that only
# the metric counts them, so an anonymous loop cannot fill the table or the log.
NOISY_PER_MINUTE = 10
_NOISY_KINDS = frozenset({"link_refused", "origin_refused", "login_throttled", "login_failed"})


class _NoiseBudget:
    """How many rows each (kind, source) may still write in the current minute."""

    def __init__(self) -> None:
        self._minute = -1
        self._spent: dict[tuple[str, str | None], int] = {}

    def allows(self, kind: str, source: str | None, now: datetime) -> bool:
        minute = int(now.timestamp() // 60)
        if minute != self._minute:
            self._minute, self._spent = minute, {}
        spent = self._spent.get((kind, source), 0)
        if spent >= NOISY_PER_MINUTE:
            return False
        # Bounded by the sources seen this minute; a flood from many addresses is cut off too.
        if len(self._spent) > 10_000:
            return False
        self._spent[(kind, source)] = spent + 1
        return True


# One budget per database (the console's), so consoles in one process, as in tests, count apart.
_budgets: weakref.WeakKeyDictionary[object, _NoiseBudget] = weakref.WeakKeyDictionary()


def _budget(transaction: Transaction) -> _NoiseBudget:
    owner = getattr(transaction, "__self__", transaction)
    found = _budgets.get(owner)
    if found is None:
        found = _budgets[owner] = _NoiseBudget()
    return found


def client_source(host: str | None) -> str:
    """Name a client by its address; anything that is not an address is not stored as typed."""
    try:
        return str(ipaddress.ip_address(host or ""))
    except ValueError:
        return "invalid"


def known_officer(rota: Rota, typed: str) -> str | None:
    """Keep an officer id only when the rota has it: a typed id is free text from anyone."""
    officer = rota.officer(typed.strip().lower())
    return officer.id if officer else None


async def record(
    transaction: Transaction,
    kind: SecurityKind,
    now: datetime,
    *,
    officer_id: str | None = None,
    source: str | None = None,
    detail: str | None = None,
) -> None:
    """Write one security event in its own transaction (a refused action rolls back its own)."""
    metrics.SECURITY_EVENTS.labels(kind.value).inc()
    anonymous = officer_id is None or kind.value == "login_throttled"
    if (
        anonymous
        and kind.value in _NOISY_KINDS
        and not _budget(transaction).allows(kind.value, source, now)
    ):
        return
    async with transaction() as session:
        session.add(
            SecurityEvent(
                at=now, kind=kind.value, officer_id=officer_id, source=source, detail=detail
            )
        )
    log.info("security_event", kind=kind.value, officer=officer_id, source=source, detail=detail)


async def recent(session: AsyncSession, limit: int = 200) -> list[SecurityEvent]:
    """Return the newest security events first."""
    rows = await session.execute(
        select(SecurityEvent)
        .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def sync_rota(transaction: Transaction, rota: Rota, now: datetime) -> list[str]:
    """Record officers who left the rota since the last look and end their sessions.

    The delete decides who records a removal, so two replicas looking at once record it once.
    """
    current = {o.id for o in rota.officers}
    async with transaction() as session:
        seen = set((await session.execute(select(RotaMember.officer_id))).scalars())
        for officer_id in sorted(current - seen):
            await session.execute(
                upsert(session, RotaMember)
                .values(officer_id=officer_id, seen_at=now)
                .on_conflict_do_nothing(index_elements=["officer_id"])
            )
        gone = sorted(seen - current)
        removed: list[str] = []
        if gone:
            result = await session.execute(
                delete(RotaMember)
                .where(RotaMember.officer_id.in_(gone))
                .returning(RotaMember.officer_id)
            )
            removed = sorted(result.scalars())
            ended = await end_sessions_of(session, removed)
            for officer_id in removed:
                session.add(
                    SecurityEvent(
                        at=now,
                        kind=SecurityKind.ROTA_REMOVED.value,
                        officer_id=officer_id,
                        detail=f"sessions_ended={ended}",
                    )
                )
    for officer_id in removed:
        metrics.SECURITY_EVENTS.labels(SecurityKind.ROTA_REMOVED.value).inc()
        log.info("security_event", kind="rota_removed", officer=officer_id)
    return removed


async def watch_rota(
    transaction: Transaction,
    rota: Callable[[], Rota],
    clock: Callable[[], datetime],
    every_s: float = 5.0,
) -> None:
    """Look at the rota every few seconds and record who left it, until cancelled."""
    while True:
        try:
            await sync_rota(transaction, rota(), clock())
        except SQLAlchemyError as err:
            # The next look retries; the console already refuses a removed officer per request.
            log.warning("rota_watch_failed", error=str(err))
        await asyncio.sleep(every_s)
