"""The rasteriser's child process: SVG in on stdin, PNG out on stdout, until stdin closes.

Imports resvg and nothing of the service (~10 MB): see `rasteriser.py` for why it exists.
A request is a width and an SVG's length (two big-endian 32-bit numbers), then the SVG;
a reply is a status byte (0: PNG, 1: the SVG could not be rasterised) and a length, then
the PNG or the error's text.
"""

from __future__ import annotations

import contextlib
import struct
import sys

from services.domain.maps.png import MapRenderError, to_png

REQUEST = struct.Struct(">II")
REPLY = struct.Struct(">BI")
OK, REFUSED = 0, 1


def serve() -> None:
    """Answer requests one by one until the parent closes the pipe."""
    read = sys.stdin.buffer
    write = sys.stdout.buffer
    while True:
        head = read.read(REQUEST.size)
        if len(head) < REQUEST.size:
            return  # the notifier is gone (or stopped us): so are we
        width, size = REQUEST.unpack(head)
        svg = read.read(size).decode("utf-8")
        try:
            status, out = OK, to_png(svg, width)
        except MapRenderError as err:
            status, out = REFUSED, str(err).encode("utf-8")
        write.write(REPLY.pack(status, len(out)) + out)
        write.flush()


if __name__ == "__main__":
    # The notifier died while a map was drawn: nobody is left to answer.
    with contextlib.suppress(BrokenPipeError):
        serve()
