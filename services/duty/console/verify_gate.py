"""How many argon2 password checks may run at once in this process.

One check takes ~64 MiB and tens of milliseconds of a core. Without a bound a burst of logins
is a burst of checks, each in its own thread: memory and CPU go before the database throttle
has a say. Tries from an unknown browser that find no free slot are refused at once (429);
an officer's known browser keeps a slot of its own and waits for it, so it still logs in
while someone else hammers the form.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class VerifyGate:
    """Admit password checks: at most `total` at once, `per_officer` of one officer's from
    unknown browsers, and never the last `reserved` slots to an unknown browser."""

    def __init__(self, total: int = 4, per_officer: int = 2, reserved: int = 1) -> None:
        if not 0 <= reserved < total:
            raise ValueError("reserved slots must leave at least one for unknown browsers")
        self.total = total
        self.per_officer = per_officer
        self.reserved = reserved
        self._running = 0
        self._by_officer: Counter[str] = Counter()
        self._freed = asyncio.Condition()

    def _admits(self, officer: str, known_device: bool) -> bool:
        if known_device:
            return self._running < self.total
        return (
            self._running < self.total - self.reserved
            and self._by_officer[officer] < self.per_officer
        )

    @asynccontextmanager
    async def slot(self, officer: str, *, known_device: bool) -> AsyncIterator[bool]:
        """Yield True holding a slot, or False at once when an unknown browser finds none."""
        async with self._freed:
            if known_device:
                await self._freed.wait_for(lambda: self._admits(officer, known_device))
            admitted = self._admits(officer, known_device)
            if admitted:
                self._running += 1
                self._by_officer[officer] += 1
        if not admitted:
            yield False
            return
        try:
            yield True
        finally:
            async with self._freed:
                self._running -= 1
                self._by_officer[officer] -= 1
                if not self._by_officer[officer]:
                    del self._by_officer[officer]
                self._freed.notify_all()
