"""Alert maps rasterised in a child process, off the notifier's event loop.

resvg renders a map in 30-100 ms without releasing the GIL, so from a thread it still froze
the notifier's event loop as long, once per language, at the start of every fan-out: a duty
page that arrived meanwhile sat unread in the socket (the pages consumer read it 200-440 ms
after it was produced, against ~20 ms otherwise), and so did the SMTP replies and the marks.
The child (`raster_child.py`) imports resvg alone, renders one map at a time, and ends when
its pipe closes, so a killed notifier leaves nothing behind. A child that fails or dies is
replaced at the next map, and that map is drawn in a thread meanwhile: the alert still carries
it, at the old cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from services.common.logs import get_logger
from services.domain.maps.png import MapRenderError, to_png
from services.notifier.raster_child import OK, REPLY, REQUEST

log = get_logger(__name__)

_BLANK = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


class Rasteriser:
    """One child process that turns SVG into PNG, asked one map at a time."""

    def __init__(self, reply_timeout_s: float = 10.0) -> None:
        self.reply_timeout_s = reply_timeout_s
        self._child: asyncio.subprocess.Process | None = None
        self._turn = asyncio.Lock()

    @property
    def child_pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.returncode is None else None

    async def start(self) -> None:
        """Start the child and have it draw once, so the first alert's map finds it ready
        (its imports and resvg's first call cost ~0.1-0.3 s)."""
        await self.png(_BLANK, 1)

    async def png(self, svg: str, width: int) -> bytes:
        """Rasterise `svg` `width` pixels wide; MapRenderError if it cannot be."""
        async with self._turn:
            try:
                return await asyncio.wait_for(self._ask(svg, width), self.reply_timeout_s)
            except MapRenderError:
                raise
            except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError) as err:
                log.warning("rasteriser_child_failed", error=repr(err))
                await self._stop_child()
        return await asyncio.to_thread(to_png, svg, width)

    async def stop(self) -> None:
        async with self._turn:
            await self._stop_child()

    async def _ask(self, svg: str, width: int) -> bytes:
        child = await self._running()
        assert child.stdin is not None and child.stdout is not None
        data = svg.encode("utf-8")
        child.stdin.write(REQUEST.pack(width, len(data)) + data)
        await child.stdin.drain()
        status, size = REPLY.unpack(await child.stdout.readexactly(REPLY.size))
        out = await child.stdout.readexactly(size)
        if status != OK:
            raise MapRenderError(out.decode("utf-8", errors="replace"))
        return out

    async def _running(self) -> asyncio.subprocess.Process:
        child = self._child
        if child is not None and child.returncode is None:
            return child
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.notifier.raster_child",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # Its own session: a Ctrl-C at the terminal is the notifier's to handle; the child
            # ends when the notifier closes its pipe.
            start_new_session=True,
        )
        return self._child

    async def _stop_child(self) -> None:
        child, self._child = self._child, None
        if child is None or child.returncode is not None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 2.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
