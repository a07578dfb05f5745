"""The one wake-up loop: do a round of work, then sleep until kicked or until the round says.

The outbox relay, the duty's escalation clock and the notifier's retry scan all poll the
database this way: a commit elsewhere kicks them at once, and a timeout catches what no kick
announced (another process's rows, a timer falling due). A failing round is logged and the
loop carries on: a database outage must not end it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from services.common.logs import get_logger

log = get_logger(__name__)


def _never() -> bool:
    return False


class WakeUpLoop:
    """Run `work` until cancelled (or `until()` holds); it returns how long to sleep (0: at once)."""

    def __init__(
        self,
        work: Callable[[], Awaitable[float]],
        *,
        failed: str,
        retry_s: float,
        until: Callable[[], bool] = _never,
    ) -> None:
        self.work = work
        self.failed = failed  # the log event of a failed round
        self.retry_s = retry_s
        self.until = until
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Start the next round now instead of at the end of the sleep."""
        self._wake.set()

    async def run(self) -> None:
        while not self.until():
            try:
                wait = await self.work()
            except Exception as err:  # logged; the next round tries again
                log.warning(self.failed, error=str(err))
                wait = self.retry_s
            if wait <= 0 or self.until():
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
