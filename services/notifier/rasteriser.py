"""Alert maps rasterised in child processes, off the notifier's event loop.

resvg renders a map in 30-100 ms without releasing the GIL, so from a thread it still froze
the notifier's event loop as long, once per language, at the start of every fan-out: a duty
page that arrived meanwhile sat unread in the socket (the pages consumer read it 200-570 ms
after it was produced, against ~20 ms otherwise), and so did the SMTP replies and the marks
(decision 0740). Each child (`raster_child.py`) imports resvg alone, renders one map at a
time, and ends when its pipe closes, so a killed notifier leaves nothing behind. A child that
fails or dies is replaced at its next map, and that map is drawn in a thread meanwhile: the
alert still carries it, at the old cost.
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
    """Child processes that turn SVG into PNG, each asked one map at a time.

    Two by default: an alert's maps (one per language) are drawn side by side on two cores.
    """

    def __init__(self, children: int = 2, reply_timeout_s: float = 10.0) -> None:
        self._all = [_Child(reply_timeout_s) for _ in range(children)]
        self._free: asyncio.Queue[_Child] = asyncio.Queue()
        for child in self._all:
            self._free.put_nowait(child)

    @property
    def child_pids(self) -> list[int]:
        return [pid for child in self._all if (pid := child.pid) is not None]

    async def start(self) -> None:
        """Start the children and have each draw once, so the first alert's maps find them
        ready (their imports and resvg's first call cost ~0.1-0.3 s)."""
        await asyncio.gather(*(self.png(_BLANK, 1) for _ in self._all))

    async def png(self, svg: str, width: int) -> bytes:
        """Rasterise `svg` `width` pixels wide; MapRenderError if it cannot be."""
        child = await self._free.get()
        try:
            return await child.png(svg, width)
        finally:
            self._free.put_nowait(child)

    async def stop(self) -> None:
        await asyncio.gather(*(child.stop() for child in self._all))


class _Child:
    """One child process and the exchange with it."""

    def __init__(self, reply_timeout_s: float) -> None:
        self.reply_timeout_s = reply_timeout_s
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def png(self, svg: str, width: int) -> bytes:
        try:
            return await asyncio.wait_for(self._ask(svg, width), self.reply_timeout_s)
        except MapRenderError:
            raise
        except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError) as err:
            log.warning("rasteriser_child_failed", error=repr(err))
            await self.stop()
        except BaseException:
            # Cut off mid-exchange (a cancel): its reply would answer the next map's request.
            await self.stop()
            raise
        return await asyncio.to_thread(to_png, svg, width)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 2.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def _ask(self, svg: str, width: int) -> bytes:
        process = await self._running()
        assert process.stdin is not None and process.stdout is not None
        data = svg.encode("utf-8")
        process.stdin.write(REQUEST.pack(width, len(data)) + data)
        await process.stdin.drain()
        status, size = REPLY.unpack(await process.stdout.readexactly(REPLY.size))
        out = await process.stdout.readexactly(size)
        if status != OK:
            raise MapRenderError(out.decode("utf-8", errors="replace"))
        return out

    async def _running(self) -> asyncio.subprocess.Process:
        process = self._process
        if process is not None and process.returncode is None:
            return process
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.notifier.raster_child",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # Its own session: a Ctrl-C at the terminal is the notifier's to handle; the child
            # ends when the notifier closes its pipe.
            start_new_session=True,
        )
        return self._process
