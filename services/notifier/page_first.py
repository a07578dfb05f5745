"""The duty page ahead of every member fan-out in the notifier.

A fan-out composes and sends hundreds of mails on the notifier's one event loop, and the mail
server takes them as fast as it can: a page handled beside it took turns with every chunk
composed, every reply read and every mark stored, and at the server with twenty member
connections, so under load it reached the officer after the first member mails (decision 0740).
While a page is in hand (read from the broker, recorded, being sent) member work waits: no
chunk of a fan-out is composed and no member send starts. Sends already under way finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator


class PageFirst:
    """Count the pages in hand; member work waits until there are none."""

    def __init__(self, max_wait_s: float = 2.0) -> None:
        # A page whose server hangs must not hold the members for its whole timeout: this
        # long after the newest page was taken, member work goes on beside the pages.
        self.max_wait_s = max_wait_s
        self._pages = 0
        self._until = 0.0
        self._clear = asyncio.Event()
        self._clear.set()

    @property
    def in_hand(self) -> int:
        return self._pages

    def take(self) -> None:
        """A page is in hand from now until `done`."""
        self._pages += 1
        self._until = time.monotonic() + self.max_wait_s
        self._clear.clear()

    def done(self) -> None:
        self._pages -= 1
        if self._pages <= 0:
            self._pages = 0
            self._clear.set()

    @contextlib.contextmanager
    def page(self) -> Iterator[None]:
        """Hold member work while the block handles a page."""
        self.take()
        try:
            yield
        finally:
            self.done()

    async def members_may_go(self) -> None:
        """Return at once with no page in hand, else once none is (or the newest is older
        than `max_wait_s`)."""
        if self._pages == 0:
            return
        left = self._until - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._clear.wait(), left)
