"""Read the delivery log for operators (`standby notifier-deliveries`)."""

from __future__ import annotations

from sqlalchemy import select

from services.common.db import Database
from services.notifier.models import DeliveryRow


async def delivery_lines(
    db: Database, *, activation: str | None, status: str | None, limit: int
) -> list[str]:
    """Describe the newest deliveries, one line each, without recipients' addresses."""
    query = select(DeliveryRow).order_by(DeliveryRow.updated_at.desc()).limit(limit)
    if activation:
        query = query.where(DeliveryRow.activation_id.startswith(activation))
    if status:
        query = query.where(DeliveryRow.status == status)
    async with db.sessions() as session:
        rows = list((await session.execute(query)).scalars())
    lines = [
        f"{r.updated_at:%Y-%m-%d %H:%M:%S}  {r.status:8} {r.attempts:>2}x  {r.kind:12} "
        f"{r.channel:5} {(r.organisation_id or '-') + '/' + r.contact_id:36} "
        f"{r.activation_id[:8]}  {r.error or ''}"
        for r in rows
    ]
    return lines or ["no deliveries"]
