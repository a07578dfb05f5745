"""While a duty page is in hand, member work waits; a page stuck at its server holds it briefly."""

from __future__ import annotations

import asyncio

from services.notifier.page_first import PageFirst


async def test_member_work_goes_at_once_when_no_page_is_in_hand() -> None:
    gate = PageFirst()
    await asyncio.wait_for(gate.members_may_go(), 0.05)


async def test_member_work_waits_until_every_page_in_hand_is_done() -> None:
    gate = PageFirst()
    gate.take()
    with gate.page():
        member = asyncio.create_task(gate.members_may_go())
        await asyncio.sleep(0.02)
        assert not member.done()
    await asyncio.sleep(0.02)
    assert not member.done() and gate.in_hand == 1  # the first page is still in hand
    gate.done()
    await asyncio.wait_for(member, 1)
    assert gate.in_hand == 0


async def test_a_page_held_past_the_limit_no_longer_holds_the_members() -> None:
    gate = PageFirst(max_wait_s=0.05)
    gate.take()  # a page whose server never answers
    await asyncio.wait_for(gate.members_may_go(), 1)
    # ...and later member work does not wait the limit again for the same page.
    loop = asyncio.get_running_loop()
    started = loop.time()
    await gate.members_may_go()
    assert loop.time() - started < 0.01
    assert gate.in_hand == 1
