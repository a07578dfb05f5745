"""The alerts waiting for members' daily digests, and which digest took each.

An item is added in the transaction that claims its activation (so a redelivered activation
adds nothing twice), given to the digest of the first digest hour after it came once that
hour has come, and a digest is recorded in the delivery log under its id: one id per contact
and local day, so a digest is recorded once whatever restarts in between (decision 0402).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.activations import Activation
from services.common.db import upsert
from services.notifier.models import DeliveryRow, DigestItemRow


def digest_id(contact_ref: str, day: date) -> str:
    """Name one contact's digest of one local day (the delivery log's `activation_id`)."""
    return str(uuid5(NAMESPACE_URL, f"standby:digest:{contact_ref}:{day.isoformat()}"))


async def add_items(
    session: AsyncSession,
    activation: Activation,
    contacts: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Keep an alert for each (organisation, contact) who takes its level in the digest."""
    if not contacts:
        return
    payload = activation.model_dump_json()
    await session.execute(
        upsert(session, DigestItemRow).on_conflict_do_nothing(
            index_elements=["organisation_id", "contact_id", "activation_id"]
        ),
        [
            {
                "organisation_id": org,
                "contact_id": contact,
                "activation_id": str(activation.activation_id),
                "incident_id": str(activation.incident_id),
                "level": activation.level.value,
                "activation": payload,
                "created_at": now,
                "digest_id": None,
            }
            for org, contact in contacts
        ],
    )


async def drop_waiting(session: AsyncSession, incident_id: str) -> None:
    """Take out of the coming digests an incident's alerts: its source withdrew it."""
    await session.execute(
        delete(DigestItemRow).where(
            DigestItemRow.incident_id == incident_id, DigestItemRow.digest_id.is_(None)
        )
    )


async def waiting(session: AsyncSession) -> list[tuple[str, str, str, datetime]]:
    """The alerts no digest has taken yet: (organisation, contact, activation, when it came)."""
    rows = await session.execute(
        select(
            DigestItemRow.organisation_id,
            DigestItemRow.contact_id,
            DigestItemRow.activation_id,
            DigestItemRow.created_at,
        ).where(DigestItemRow.digest_id.is_(None))
    )
    return [
        (org, contact, activation, at if at.tzinfo else at.replace(tzinfo=UTC))
        for org, contact, activation, at in rows
    ]


async def recorded(session: AsyncSession, digest: str) -> bool:
    """Whether a digest is in the delivery log already (sent, or being sent)."""
    found = await session.execute(
        select(DeliveryRow.key).where(DeliveryRow.activation_id == digest).limit(1)
    )
    return found.first() is not None


async def assign(session: AsyncSession, item: tuple[str, str, str], digest: str) -> None:
    """Give one waiting alert (organisation, contact, activation) to a digest."""
    org, contact, activation = item
    await session.execute(
        update(DigestItemRow)
        .where(
            DigestItemRow.organisation_id == org,
            DigestItemRow.contact_id == contact,
            DigestItemRow.activation_id == activation,
            DigestItemRow.digest_id.is_(None),
        )
        .values(digest_id=digest)
    )


async def unrecorded(session: AsyncSession) -> dict[str, tuple[str, str, list[Activation]]]:
    """The digests given alerts but not yet in the delivery log: (org, contact, alerts) each."""
    rows = await session.execute(
        select(DigestItemRow)
        .where(
            DigestItemRow.digest_id.is_not(None),
            ~exists().where(DeliveryRow.activation_id == DigestItemRow.digest_id),
        )
        .order_by(DigestItemRow.created_at)
    )
    found: dict[str, tuple[str, str, list[Activation]]] = {}
    for row in rows.scalars():
        assert row.digest_id is not None
        entry = found.setdefault(row.digest_id, (row.organisation_id, row.contact_id, []))
        entry[2].append(Activation.model_validate_json(row.activation))
    return found


async def drop(session: AsyncSession, digest: str) -> None:
    """Forget a digest nobody can receive (the contact left, paused or stopped all mail)."""
    await session.execute(delete(DigestItemRow).where(DigestItemRow.digest_id == digest))


async def forget_recorded(session: AsyncSession) -> None:
    """Forget the alerts of digests in the delivery log: the log holds the mail from then on.

    Kept, they would make a digest again once retention prunes its delivery (decision 0005).
    """
    await session.execute(
        delete(DigestItemRow).where(
            DigestItemRow.digest_id.is_not(None),
            exists().where(DeliveryRow.activation_id == DigestItemRow.digest_id),
        )
    )
