"""Composition root of the duty service."""

from __future__ import annotations

from services.common.service import ServiceContext


async def setup(ctx: ServiceContext) -> None:
    """Register the duty's handlers and background tasks."""
