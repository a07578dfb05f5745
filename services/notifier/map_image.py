"""The incident map a member alert carries: one small PNG per language, shown inline.

Every member reading one language gets the same picture (the incident, its area and the
affected countries shaded by alert): one render per activation and language keeps the
fan-out as fast as before, and a member's own plans and stock stay in its own text block.
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from schemas.activations import IncidentSummary
from schemas.members import Language, MemberDirectory
from services.common.logs import get_logger
from services.domain.maps.png import MapRenderError, to_png
from services.domain.maps.scene import incident_scene
from services.domain.maps.svg import DrawnMap, draw

log = get_logger(__name__)

WIDTH = 480  # a mail column; ~7 KB as PNG


@dataclass(frozen=True, slots=True)
class InlineImage:
    """A picture the HTML part shows by its Content-ID, with its text alternative."""

    cid: str
    png: bytes
    alt: str
    width: int
    height: int


Rasterise = Callable[[str, int], Awaitable[bytes]]


def alert_image(summary: IncidentSummary, language: Language) -> InlineImage:
    """Draw and rasterise the incident's map for readers of `language`."""
    drawn = _drawn(summary, language)
    return _inline(drawn, to_png(drawn.svg, WIDTH))


def _drawn(summary: IncidentSummary, language: Language) -> DrawnMap:
    return draw(incident_scene(summary, MemberDirectory(), language), ident="mail-map")


def _inline(drawn: DrawnMap, png: bytes) -> InlineImage:
    width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR chunk
    # Named by its bytes: a redelivered alert is byte for byte the same message.
    cid = f"map-{hashlib.sha256(png).hexdigest()[:20]}@standby"
    return InlineImage(cid, png, " ".join(drawn.lines), width, height)


async def in_thread(svg: str, width: int) -> bytes:
    """Rasterise in a thread (resvg holds the GIL meanwhile: tests, tools)."""
    return await asyncio.to_thread(to_png, svg, width)


async def alert_images(
    summary: IncidentSummary, languages: Iterable[Language], rasterise: Rasterise = in_thread
) -> dict[Language, InlineImage | None]:
    """The map for each language, rasterised by `rasterise` (the notifier's: a child process,
    `rasteriser.py`); a map that fails is left out (the alert goes without it) and logged,
    never holding the alert back."""
    wanted = list(languages)

    async def one(language: Language) -> InlineImage:
        drawn = _drawn(summary, language)
        return _inline(drawn, await rasterise(drawn.svg, WIDTH))

    drawn = await asyncio.gather(*(one(language) for language in wanted), return_exceptions=True)
    images: dict[Language, InlineImage | None] = {}
    for language, image in zip(wanted, drawn, strict=True):
        if isinstance(image, MapRenderError):
            log.error("alert_map_not_drawn", language=language.value, error=str(image))
            images[language] = None
        elif isinstance(image, BaseException):
            raise image
        else:
            images[language] = image
    return images
