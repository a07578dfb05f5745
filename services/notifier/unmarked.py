"""A bound on what a crash can repeat: mails the server may have accepted, not yet marked sent.

SMTP gives no way to ask a server whether it took a message, so a mail whose end the server
may have received, and whose `sent` mark is not stored yet, is sent again after a crash
(decision 0400). At the start of a fan-out the pool's 20 connections end their first mails
within a millisecond or two, long before the first mark commits: a notifier killed then
repeated 10-20 of them. A mail now takes one of `limit` places before its message goes (after
the server's 354) and gives it back when its outcome is stored, so at any instant at most
`limit` mails can be repeated (decision 0707). Duty pages do not wait for a place: they are
few and must never wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable


class UnmarkedLimit:
    """At most `limit` mails between their message and their stored outcome."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: set[str] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._lifted = False

    @property
    def held(self) -> int:
        """Mails sent or being sent whose outcome is not stored yet."""
        return len(self._held)

    async def hold(self, key: str) -> None:
        """Take a place for the delivery `key`, waiting for one to be given back."""
        while len(self._held) >= self.limit and not self._lifted:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._held.add(key)

    def release(self, keys: Iterable[str]) -> None:
        """Give back the places of deliveries whose outcomes are stored."""
        self._held.difference_update(keys)
        self._wake()

    def lift(self) -> None:
        """No more waiting (a graceful stop stores every outcome before it exits)."""
        self._lifted = True
        self._wake()

    def _wake(self) -> None:
        free = len(self._waiters) if self._lifted else self.limit - len(self._held)
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1
