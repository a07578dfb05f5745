"""Rasterise a map's SVG to PNG for mail clients (resvg: a Rust renderer in a wheel)."""

from __future__ import annotations

import resvg_py

from services.common.errors import StandbyError


class MapRenderError(StandbyError):
    """The SVG could not be rasterised (a bug in the drawing, never member input)."""


def to_png(svg: str, width: int) -> bytes:
    """Render the SVG `width` pixels wide on white; its height follows its aspect ratio."""
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=svg, width=width, background="#ffffff"))
    except ValueError as err:
        raise MapRenderError(f"cannot rasterise the map: {err}") from err
