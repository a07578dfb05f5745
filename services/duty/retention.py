"""The duty's tables on the retention schedule, and where it keeps members' personal data."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, exists, func, or_

from schemas.responses import StepAction
from services.common.erasure import PersonalData
from services.common.retention import Gone, Rule, aged, record_rules
from services.common.settings import RetentionSettings
from services.duty.models import (
    DutyActivation,
    DutyDelivery,
    DutyPage,
    DutyRollCallStep,
    DutyTimer,
    DutyTransition,
    SecurityEvent,
    SpentToken,
)
from services.duty.states import DutyState

delivery_reports = cast(Table, DutyDelivery.__table__)
security_events = cast(Table, SecurityEvent.__table__)
rollcall_steps = cast(Table, DutyRollCallStep.__table__)
spent_tokens = cast(Table, SpentToken.__table__)
activations = cast(Table, DutyActivation.__table__)
transitions = cast(Table, DutyTransition.__table__)
pages = cast(Table, DutyPage.__table__)
timers = cast(Table, DutyTimer.__table__)
_PROGRAMME_STEPS = [StepAction.PROGRAMME_LAUNCHED.value, StepAction.PROGRAMME_CLOSED.value]


def _over(retention: RetentionSettings) -> Gone:
    """Activations whose incident is over: every activation of it closed (stood down, or its
    programme closed), superseded by an upgrade or only recorded (a watch), and none of them
    touched for `disasters`. An acknowledged or launched activation keeps the whole incident."""
    other = activations.alias("other")

    def gone(now: datetime) -> ColumnElement[bool]:
        finished = (
            other.c.closed_at.is_not(None)
            | other.c.superseded_by.is_not(None)
            | (other.c.state == DutyState.RECORDED.value)
        )
        quiet = func.coalesce(other.c.closed_at, other.c.updated_at) < now - retention.disasters
        pending = exists().where(
            timers.c.activation_id == other.c.activation_id, timers.c.status == "pending"
        )
        return ~exists().where(
            other.c.incident_id == activations.c.incident_id,
            or_(~finished, ~quiet, pending),
        )

    return gone


def rules(retention: RetentionSettings) -> list[Rule]:
    """Delivery reports, the security log, the roll-call timeline, spent link nonces, and each
    disaster's activations with their transitions, pages and timers once it is over."""
    return [
        aged(delivery_reports.c.occurred_at, retention, "deliveries"),
        aged(security_events.c.at, retention, "security_events"),
        # The programme's launch and close name it in the CAP feed's Update for as long as the
        # activation is kept: they go with the disaster's record, not by age.
        aged(
            rollcall_steps.c.occurred_at,
            retention,
            "rollcall_audit",
            rollcall_steps.c.action.not_in(_PROGRAMME_STEPS),
        ),
        # A link past its expiry is refused for that alone: its nonce is needed no longer.
        aged(spent_tokens.c.expires_at, retention, "spent_tokens"),
        *record_rules(
            activations.c.activation_id,
            _over(retention),
            [
                (transitions, transitions.c.activation_id),
                (pages, pages.c.activation_id),
                (timers, timers.c.activation_id),
                (rollcall_steps, rollcall_steps.c.activation_id),
            ],
            "disasters",
        ),
    ]


# Delivery reports name the contact a member alert went to.
PERSONAL_DATA = (PersonalData.by_contact(delivery_reports),)
