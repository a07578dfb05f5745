"""The notifier's tables on the retention schedule, and where it keeps members' personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.deliveries import DeliveryKind, DeliveryStatus
from services.common.erasure import PersonalData
from services.common.retention import Rule
from services.common.settings import RetentionSettings
from services.notifier.models import (
    BodyRow,
    ClosedIncident,
    DeliveryRow,
    DigestItemRow,
    PreferenceRow,
    ThreadRow,
)

# A body is written in the transaction of its first deliveries: one younger than this may be
# about to be used again by a fan-out in progress, whatever references it now (shorter when the
# deliveries themselves are kept less long).
BODY_GRACE = timedelta(hours=1)
_FINISHED = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value)

deliveries = cast(Table, DeliveryRow.__table__)
bodies = cast(Table, BodyRow.__table__)
threads = cast(Table, ThreadRow.__table__)
preferences = cast(Table, PreferenceRow.__table__)
closed_incidents = cast(Table, ClosedIncident.__table__)
digest_items = cast(Table, DigestItemRow.__table__)


def _unused_body(now: datetime, grace: timedelta = BODY_GRACE) -> ColumnElement[bool]:
    used = exists().where(deliveries.c.body_id == bodies.c.id)
    return (bodies.c.created_at < now - grace) & ~used


def _open(now: datetime, retention: RetentionSettings, incident: Any) -> ColumnElement[bool]:
    """Whether an incident is open: the notifier still follows it up from its delivery log.

    The notifier tells whoever it alerted about the launch or stand-down (`told_contacts`), and
    replies in the alert's thread: an incident is open until an acknowledgement closes it,
    opens again with a new alert after that, and one nobody closes counts as open while it was
    mailed about within `threads`.
    """
    later = deliveries.alias("later")
    closed = exists().where(
        closed_incidents.c.incident_id == incident,
        closed_incidents.c.closed_at < now - retention.deliveries,
        ~exists().where(
            later.c.incident_id == incident,
            later.c.kind == DeliveryKind.MEMBER_ALERT.value,
            later.c.created_at > closed_incidents.c.closed_at,
        ),
    )
    recent = deliveries.alias("recent")
    mailed = exists().where(
        recent.c.incident_id == incident, recent.c.created_at >= now - retention.threads
    )
    return ~closed & mailed


def rules(retention: RetentionSettings) -> list[Rule]:
    """Finished deliveries of closed incidents (headers with them), unused bodies, quiet threads."""

    async def finished_and_closed(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        return (
            deliveries.c.status.in_(_FINISHED)
            & (deliveries.c.created_at < now - retention.deliveries)
            & (
                deliveries.c.incident_id.is_(None)
                | ~_open(now, retention, deliveries.c.incident_id)
            )
        )

    async def unused_bodies(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        return _unused_body(now, min(BODY_GRACE, retention.deliveries))

    async def quiet_threads(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        # A thread's root keeps later mail of its incident in the thread (a re-alert after a
        # stand-down too): it stays while the incident was mailed about within `threads`.
        since = now - retention.threads
        mailed = exists().where(
            deliveries.c.incident_id == threads.c.incident_id, deliveries.c.created_at >= since
        )
        return (threads.c.created_at < since) & ~mailed

    async def closed_long_ago(_: AsyncSession, now: datetime) -> ColumnElement[bool]:
        # Its deliveries are gone by then: nothing left to follow up.
        gone = ~exists().where(deliveries.c.incident_id == closed_incidents.c.incident_id)
        return (closed_incidents.c.closed_at < now - retention.threads) & gone

    return [
        Rule(deliveries, finished_and_closed, "deliveries"),
        Rule(bodies, unused_bodies, "deliveries"),
        Rule(threads, quiet_threads, "threads"),
        Rule(closed_incidents, closed_long_ago, "threads"),
    ]


def _delete_unused_bodies(now: datetime) -> Any:
    return delete(bodies).where(
        bodies.c.id.in_(select(bodies.c.id).where(_unused_body(now)).scalar_subquery())
    )


PERSONAL_DATA = (
    # The delivery log holds each contact's address and, in the headers, name; their personal
    # bodies (answer links, plan matches) go once no delivery uses them.
    PersonalData.by_contact(deliveries, then=(_delete_unused_bodies,)),
    PersonalData(threads, ref=threads.c.contact_ref),
    PersonalData.by_contact(preferences),
    # Alerts waiting for a digest (they go once it is in the delivery log).
    PersonalData.by_contact(digest_items),
)
