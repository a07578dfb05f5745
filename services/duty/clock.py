"""The escalation clock: fire due timers from the database, so a restart loses none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.common.db import Database
from services.common.logs import get_logger
from services.common.unit_of_work import Work
from services.common.wakeup import WakeUpLoop
from services.duty import metrics, queries
from services.duty.repository import EscalationRepository

log = get_logger(__name__)


@dataclass(eq=False)
class EscalationClock:
    """Sleep until the next timer is due (or a tick passes), then fire what is due."""

    db: Database
    duty: EscalationRepository
    work: Work
    clock: Callable[[], datetime]
    tick_s: float
    _loop: WakeUpLoop = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._loop = WakeUpLoop(self._round, failed="escalation_clock_failed", retry_s=self.tick_s)

    def kick(self) -> None:
        """Re-read the schedule now: a page has just created a timer."""
        self._loop.kick()

    async def fire_due(self) -> int:
        """Fire every due timer, each in its own transaction; return how many escalated."""
        async with self.db.sessions() as session:
            due = await self.duty.due_timers(session, self.clock())
        fired = 0
        for timer_id in due:
            async with self.work() as work:
                outcome = await self.duty.fire_timer(work.session, timer_id, self.clock())
                work.add(outcome)
            fired += bool(outcome.messages)
        return fired

    async def refresh_gauge(self) -> None:
        async with self.db.sessions() as session:
            metrics.OPEN_UNACKED.set(await queries.count_open_unacknowledged(session))

    async def run(self) -> None:
        """Run until cancelled; a failing database is logged and retried on the next tick."""
        log.info("escalation_clock_started", tick_s=self.tick_s)
        await self._loop.run()

    async def _round(self) -> float:
        """Fire what is due; sleep until the next timer, a tick at most."""
        await self.fire_due()
        await self.refresh_gauge()
        async with self.db.sessions() as session:
            due = await self.duty.next_due(session)
        if due is None:
            return self.tick_s
        return max(0.0, min(self.tick_s, (due - self.clock()).total_seconds()))
