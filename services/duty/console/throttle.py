"""Login throttling that slows a guesser without locking the officer out.

OWASP's device-cookie scheme: a browser that has logged in before as an officer carries a
signed device cookie, and its tries count only against that device. Every other try counts
against the officer at that source, the source, and the officer from untrusted browsers. A key
past its free failures waits before its next try, doubling up to a cap: slowed, never blocked,
so failures sent in someone's name from elsewhere cannot keep the officer out of a browser
they used before. The counts live in the duty database so every console replica shares them.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import upsert
from services.duty.models import LoginThrottle

DEVICE_COOKIE = "standby_device"
DEVICE_MAX_AGE_S = 180 * 86400


class KeyKind(StrEnum):
    DEVICE = "device"  # a browser that logged in before as this officer
    PAIR = "pair"  # this officer from this source
    SOURCE = "source"  # this source, whichever officer it names
    OFFICER = "officer"  # this officer from any untrusted browser


@dataclass(frozen=True)
class Policy:
    """How many failures a key may have for free, and how the wait grows after that."""

    free_failures: int
    max_delay_s: float
    first_delay_s: float = 1.0

    def delay(self, failures: int) -> timedelta:
        """Return how long a key with this many recent failures waits before its next try."""
        if failures < self.free_failures:
            return timedelta(0)
        excess = min(failures - self.free_failures, 30)  # 2**30 s is past any cap
        return timedelta(seconds=min(self.first_delay_s * 2**excess, self.max_delay_s))


POLICIES: dict[KeyKind, Policy] = {
    KeyKind.DEVICE: Policy(free_failures=5, max_delay_s=60),
    KeyKind.PAIR: Policy(free_failures=5, max_delay_s=60),
    KeyKind.SOURCE: Policy(free_failures=20, max_delay_s=60),
    # Shared by everyone who names the officer: a short cap keeps the officer's own new
    # browser usable while a distributed guesser gets at most one try in 30 s.
    KeyKind.OFFICER: Policy(free_failures=10, max_delay_s=30),
}
FORGET_AFTER = timedelta(minutes=15)


def throttle_keys(officer_id: str, source: str, device: str | None) -> list[str]:
    """Name the counters one login try is judged by and counted against."""
    officer = officer_id.strip().lower()
    if device is not None:
        return [f"{KeyKind.DEVICE}:{device}"]
    return [
        f"{KeyKind.PAIR}:{officer}@{source}",
        f"{KeyKind.SOURCE}:{source}",
        f"{KeyKind.OFFICER}:{officer}",
    ]


def _policy(key: str) -> Policy:
    return POLICIES[KeyKind(key.split(":", 1)[0])]


class ThrottledError(Exception):
    """A key is still waiting: the try is refused before it reaches the password check."""

    def __init__(self, wait_s: int) -> None:
        super().__init__(f"retry after {wait_s} s")
        self.wait_s = wait_s


async def take_try(session: AsyncSession, keys: list[str], now: datetime) -> None:
    """Count a try under every key before its password is checked, or raise ThrottledError.

    Counted first and atomically: a key's count and its next allowed time change in one
    conditional upsert, so of a parallel burst only the free tries pass, on every replica
    alike (a later success gives back what it was charged). Raised inside the caller's
    transaction, the counts already taken for this try roll back with it.
    """
    await prune(session, now)
    for key in keys:
        insert = upsert(session, LoginThrottle).values(
            key=key, failures=1, last_failure_at=now, next_try_at=now
        )
        stmt = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={
                # Failures older than the window are forgiven: the count starts again.
                "failures": case(
                    (LoginThrottle.last_failure_at < now - FORGET_AFTER, 1),
                    else_=LoginThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
            where=LoginThrottle.next_try_at <= now,
        ).returning(LoginThrottle.failures)
        failures = (await session.execute(stmt)).scalar_one_or_none()
        if failures is None:
            waiting = await session.scalar(
                select(LoginThrottle.next_try_at).where(LoginThrottle.key == key)
            )
            seconds = (waiting - now).total_seconds() if waiting is not None else 1.0
            raise ThrottledError(max(1, math.ceil(seconds)))
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(next_try_at=now + _policy(key).delay(failures))
        )


async def record_failure(session: AsyncSession, keys: list[str], now: datetime) -> None:
    """Start each key's wait again from now, when the password it was charged for failed.

    The try was counted before its check; the check takes a while (longer on a loaded
    machine), and a wait that ran while it did would let the next try straight in.
    """
    for key in keys:
        failures = await session.scalar(
            select(LoginThrottle.failures).where(LoginThrottle.key == key)
        )
        if failures:
            later = now + _policy(key).delay(failures)
            await session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key, LoginThrottle.next_try_at < later)
                .values(next_try_at=later)
            )


async def record_success(session: AsyncSession, keys: list[str]) -> None:
    """Forget the officer's own device or source after a good login; give back the try the
    officer-wide key was charged.

    The officer-wide key is otherwise kept: a guesser elsewhere must not get fresh tries
    because the officer logged in.
    """
    mine = [k for k in keys if not k.startswith(f"{KeyKind.OFFICER}:")]
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(mine)))
    shared = [k for k in keys if k.startswith(f"{KeyKind.OFFICER}:")]
    if shared:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key.in_(shared), LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )


async def prune(session: AsyncSession, now: datetime) -> None:
    """Drop counters nobody has failed under for the forget window."""
    await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < now - FORGET_AFTER, LoginThrottle.next_try_at <= now
        )
    )


class DeviceCookies:
    """Sign and read the device cookie: which officer this browser logged in as, and its nonce."""

    def __init__(self, secret: str | list[str]) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="standby.duty.device-cookie")

    def issue(self, officer_id: str) -> str:
        """Sign a new device cookie for an officer who just logged in from this browser."""
        value: str = self._serializer.dumps({"o": officer_id, "n": secrets.token_urlsafe(12)})
        return value

    def device_of(self, cookie: str | None, officer_id: str) -> str | None:
        """Return the device nonce when the cookie is valid and names this officer."""
        if not cookie or len(cookie) > 512:
            return None
        try:
            payload = self._serializer.loads(cookie, max_age=DEVICE_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(payload, dict) or payload.get("o") != officer_id.strip().lower():
            return None
        nonce = payload.get("n")
        return nonce if isinstance(nonce, str) else None
