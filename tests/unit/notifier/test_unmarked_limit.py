"""At most `limit` mails between their DATA and their stored outcome: what a crash can repeat."""

from __future__ import annotations

import asyncio

from services.notifier.unmarked import UnmarkedLimit


async def test_a_mail_past_the_limit_waits_until_an_outcome_is_stored() -> None:
    limit = UnmarkedLimit(2)
    await limit.hold("a")
    await limit.hold("b")
    third = asyncio.create_task(limit.hold("c"))
    await asyncio.sleep(0.01)
    assert not third.done() and limit.held == 2
    limit.release(["x"])  # not held: gives nothing back
    await asyncio.sleep(0.01)
    assert not third.done()
    limit.release(["a"])
    await asyncio.wait_for(third, 1)
    assert limit.held == 2


async def test_places_go_to_as_many_waiters_as_were_given_back() -> None:
    limit = UnmarkedLimit(2)
    await limit.hold("a")
    await limit.hold("b")
    waiting = [asyncio.create_task(limit.hold(k)) for k in ("c", "d", "e")]
    await asyncio.sleep(0.01)
    limit.release(["a", "b"])
    await asyncio.sleep(0.01)
    assert sum(t.done() for t in waiting) == 2 and limit.held == 2
    limit.release(["c", "d"])
    await asyncio.wait_for(asyncio.gather(*waiting), 1)
    assert limit.held == 1


async def test_a_cancelled_wait_takes_no_place() -> None:
    limit = UnmarkedLimit(1)
    await limit.hold("a")
    waiter = asyncio.create_task(limit.hold("b"))
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    limit.release(["a"])
    await asyncio.wait_for(limit.hold("c"), 1)
    assert limit.held == 1


async def test_a_graceful_stop_lifts_the_limit() -> None:
    limit = UnmarkedLimit(1)
    await limit.hold("a")
    waiting = [asyncio.create_task(limit.hold(k)) for k in ("b", "c")]
    await asyncio.sleep(0.01)
    limit.lift()
    await asyncio.wait_for(asyncio.gather(*waiting), 1)
    await asyncio.wait_for(limit.hold("d"), 1)
    assert limit.held == 4
