"""Composition root of the notifier service."""

from __future__ import annotations

from services.common.service import ServiceContext


async def setup(ctx: ServiceContext) -> None:
    """Register the notifier's handlers and background tasks."""
