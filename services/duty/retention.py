"""The duty's tables on the retention schedule, and where it keeps members' personal data."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from services.common.erasure import PersonalData
from services.common.retention import Rule, older_than
from services.common.settings import RetentionSettings
from services.duty.models import DutyDelivery, DutyRollCallStep, SecurityEvent, SpentToken

delivery_reports = cast(Table, DutyDelivery.__table__)
security_events = cast(Table, SecurityEvent.__table__)
rollcall_steps = cast(Table, DutyRollCallStep.__table__)
spent_tokens = cast(Table, SpentToken.__table__)


def rules(retention: RetentionSettings) -> list[Rule]:
    """Delivery reports, the security log, the roll-call timeline and spent link nonces."""
    return [
        Rule(
            delivery_reports,
            older_than(delivery_reports.c.occurred_at, retention.deliveries),
            "deliveries",
        ),
        Rule(
            security_events,
            older_than(security_events.c.at, retention.security_events),
            "security_events",
        ),
        Rule(
            rollcall_steps,
            older_than(rollcall_steps.c.occurred_at, retention.rollcall_audit),
            "rollcall_audit",
        ),
        # A link past its expiry is refused for that alone: its nonce is needed no longer.
        Rule(
            spent_tokens,
            older_than(spent_tokens.c.expires_at, retention.spent_tokens),
            "spent_tokens",
        ),
    ]


# Delivery reports name the contact a member alert went to.
PERSONAL_DATA = (
    PersonalData(
        delivery_reports,
        organisation=delivery_reports.c.organisation_id,
        contact=delivery_reports.c.contact_id,
    ),
)
