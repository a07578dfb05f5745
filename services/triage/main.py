"""Composition root of the triage service."""

from __future__ import annotations

from services.common.service import ServiceContext


async def setup(ctx: ServiceContext) -> None:
    """Register the triage's handlers and background tasks."""
