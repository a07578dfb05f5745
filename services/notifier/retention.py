"""The notifier's tables on the retention schedule, and where it keeps members' personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.deliveries import DeliveryStatus
from services.common.erasure import PersonalData
from services.common.retention import Rule, older_than
from services.common.settings import RetentionSettings
from services.notifier.models import BodyRow, DeliveryRow, PreferenceRow, ThreadRow

# A body is written in the transaction of its first deliveries: one younger than this may be
# about to be used again by a fan-out in progress, whatever references it now.
BODY_GRACE = timedelta(hours=1)
_FINISHED = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value)

deliveries = cast(Table, DeliveryRow.__table__)
bodies = cast(Table, BodyRow.__table__)
threads = cast(Table, ThreadRow.__table__)
preferences = cast(Table, PreferenceRow.__table__)


def _unused_body(now: datetime) -> ColumnElement[bool]:
    used = exists().where(deliveries.c.body_id == bodies.c.id)
    return (bodies.c.created_at < now - BODY_GRACE) & ~used


def rules(retention: RetentionSettings) -> list[Rule]:
    """Finished deliveries (their headers with them), bodies nobody uses, threads gone quiet."""

    async def unused_bodies(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        return _unused_body(now)

    async def quiet_threads(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        # A thread's root keeps later mail of its incident in the thread: it stays while the
        # incident is open, i.e. while the incident was mailed about within `threads`.
        since = now - retention.threads
        mailed = exists().where(
            deliveries.c.incident_id == threads.c.incident_id, deliveries.c.created_at >= since
        )
        return (threads.c.created_at < since) & ~mailed

    return [
        Rule(
            deliveries,
            older_than(
                deliveries.c.created_at, retention.deliveries, deliveries.c.status.in_(_FINISHED)
            ),
            "deliveries",
        ),
        Rule(bodies, unused_bodies, "deliveries"),
        Rule(threads, quiet_threads, "threads"),
    ]


def _delete_unused_bodies(now: datetime) -> Any:
    return delete(bodies).where(
        bodies.c.id.in_(select(bodies.c.id).where(_unused_body(now)).scalar_subquery())
    )


PERSONAL_DATA = (
    # The delivery log holds each contact's address and, in the headers, name; their personal
    # bodies (answer links, plan matches) go once no delivery uses them.
    PersonalData(
        deliveries,
        organisation=deliveries.c.organisation_id,
        contact=deliveries.c.contact_id,
        then=(_delete_unused_bodies,),
    ),
    PersonalData(threads, ref=threads.c.contact_ref),
    PersonalData(
        preferences, organisation=preferences.c.organisation_id, contact=preferences.c.contact_id
    ),
)
