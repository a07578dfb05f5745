"""Composition root of the ingester service."""

from __future__ import annotations

from services.common.service import ServiceContext


async def setup(ctx: ServiceContext) -> None:
    """Register the ingester's handlers and background tasks."""
