"""Alert maps are rasterised in the notifier's child process: the same PNG, the loop free."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from schemas.members import Language
from services.domain.maps.png import MapRenderError
from services.notifier.map_image import alert_image, alert_images
from services.notifier.rasteriser import Rasteriser
from tests.messages import red_quake_activation

SUMMARY = red_quake_activation(datetime(2026, 11, 23, 3, 14, tzinfo=UTC)).summary


@pytest.fixture
async def rasteriser() -> AsyncIterator[Rasteriser]:
    child = Rasteriser()
    await child.start()
    try:
        yield child
    finally:
        await child.stop()


async def test_the_childs_map_is_byte_for_byte_the_one_drawn_in_process(
    rasteriser: Rasteriser,
) -> None:
    images = await alert_images(SUMMARY, [Language.JA, Language.EN], rasteriser.png)
    for language in (Language.JA, Language.EN):
        assert images[language] == alert_image(SUMMARY, language)


async def test_the_event_loop_runs_while_the_child_rasterises(rasteriser: Rasteriser) -> None:
    # resvg keeps the GIL for a whole render: from a thread, not one of these ticks ran
    # until the map was done.
    ticks = 0
    render = asyncio.create_task(alert_images(SUMMARY, [Language.JA], rasteriser.png))
    while not render.done():
        await asyncio.sleep(0.001)
        ticks += 1
    assert render.result()[Language.JA] is not None
    assert ticks >= 3


async def test_an_svg_resvg_refuses_is_a_map_render_error(rasteriser: Rasteriser) -> None:
    with pytest.raises(MapRenderError):
        await rasteriser.png("<svg xmlns='http://www.w3.org/2000/svg'", 100)
    # The child lives on for the next map.
    assert (await rasteriser.png(_small_svg(), 120)).startswith(b"\x89PNG")


async def test_a_killed_child_is_replaced_and_the_map_still_drawn(
    rasteriser: Rasteriser,
) -> None:
    first = rasteriser.child_pids
    assert len(first) == 2
    for pid in first:
        os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.1)
    images = await alert_images(SUMMARY, [Language.JA, Language.EN], rasteriser.png)
    for language in (Language.JA, Language.EN):
        assert images[language] == alert_image(SUMMARY, language)
    await asyncio.gather(*(rasteriser.png(_small_svg(), 120) for _ in range(2)))
    again = rasteriser.child_pids
    assert len(again) == 2 and not set(again) & set(first)


def _small_svg() -> str:
    return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='5' height='5'/></svg>"
