"""What the activation's timeline records beside its escalation: delivery states and roll-call steps; and the link tokens already spent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.deliveries import Delivery
from schemas.responses import RollCallStep
from services.common.db import upsert
from services.duty.models import DutyDelivery, DutyRollCallStep, SpentToken
from services.duty.tokens import Grant, Refusal, TokenRefusedError


async def record_delivery(session: AsyncSession, delivery: Delivery) -> None:
    """Keep the newest state of a delivery; an older report arriving late changes nothing."""
    values = {
        "delivery_key": delivery.delivery_key,
        "activation_id": str(delivery.activation_id),
        "kind": delivery.kind.value,
        "organisation_id": delivery.organisation_id,
        "contact_id": delivery.contact_id,
        "channel": delivery.channel.value,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "error": delivery.error,
        "occurred_at": delivery.occurred_at,
    }
    stmt = upsert(session, DutyDelivery).values(**values)
    update = {k: stmt.excluded[k] for k in values if k != "delivery_key"}
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["delivery_key"],
            set_=update,
            where=DutyDelivery.occurred_at <= stmt.excluded.occurred_at,
        )
    )


async def record_rollcall_step(session: AsyncSession, step: RollCallStep) -> None:
    """Keep a roll-call step once, whatever the number of times it is delivered."""
    stmt = (
        upsert(session, DutyRollCallStep)
        .values(
            step_id=str(step.id),
            incident_id=str(step.incident_id),
            activation_id=str(step.activation_id),
            action=step.action.value,
            via=step.via.value,
            officer_id=step.officer_id,
            level=step.level.value if step.level else None,
            organisation_id=step.organisation_id,
            answer=step.answer.value if step.answer else None,
            organisations=step.organisations,
            programme_ja=step.programme.name_ja if step.programme else None,
            programme_en=step.programme.name_en if step.programme else None,
            occurred_at=step.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["step_id"])
    )
    await session.execute(stmt)


async def spend_token(session: AsyncSession, grant: Grant, now: datetime) -> None:
    """Mark a token used; raise TokenRefusedError(SPENT) when it was used before."""
    # An expired token is refused before it gets here, so its nonce need not be kept.
    await session.execute(delete(SpentToken).where(SpentToken.expires_at < now))
    stmt = (
        upsert(session, SpentToken)
        .values(nonce=grant.nonce, expires_at=grant.expires_at, spent_at=now)
        .on_conflict_do_nothing(index_elements=["nonce"])
    )
    result = await session.execute(stmt)
    if not result.rowcount:  # type: ignore[attr-defined]
        raise TokenRefusedError(Refusal.SPENT)
