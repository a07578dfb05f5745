"""The wake-up loop: rounds at the pace they ask for, at once when kicked, through failures."""

from __future__ import annotations

import asyncio
import time

from services.common.wakeup import WakeUpLoop


async def test_a_kick_ends_the_sleep_and_until_ends_the_loop() -> None:
    rounds: list[float] = []

    async def work() -> float:
        rounds.append(time.monotonic())
        return 60.0  # sleep long: only a kick brings the next round

    loop = WakeUpLoop(work, failed="test_round_failed", retry_s=60, until=lambda: len(rounds) >= 2)
    task = asyncio.create_task(loop.run())
    deadline = time.monotonic() + 5
    while not rounds and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    loop.kick()
    await asyncio.wait_for(task, 5)
    assert len(rounds) == 2


async def test_a_failing_round_is_retried_and_a_zero_wait_goes_again_at_once() -> None:
    outcomes: list[str] = []

    async def work() -> float:
        outcomes.append("round")
        if len(outcomes) == 1:
            raise RuntimeError("database away")
        return 0.0

    loop = WakeUpLoop(
        work, failed="test_round_failed", retry_s=0.01, until=lambda: len(outcomes) >= 4
    )
    await asyncio.wait_for(loop.run(), 5)
    assert outcomes == ["round"] * 4
