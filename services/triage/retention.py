"""Triage's growing tables on the retention schedule: the decisions that published nothing, and
each disaster's record once no source has reported it for `disasters`."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table

from services.common.retention import Rule, aged, record_rules
from services.common.settings import RetentionSettings
from services.triage.models import ActivationRow, DecisionRow, IncidentMemberRow, IncidentRow

decisions = cast(Table, DecisionRow.__table__)
incidents = cast(Table, IncidentRow.__table__)
reports = cast(Table, IncidentMemberRow.__table__)
activations = cast(Table, ActivationRow.__table__)


def rules(retention: RetentionSettings) -> list[Rule]:
    """Each changed report is decided again (a decision row a feed update); the decisions behind
    an activation say why members were alerted and stay with their incident.

    An incident's record (its reports, activations and every decision) goes once no source has
    reported it for `disasters`: triage's part of a disaster is what the feeds said of it, and
    what duty and the response service did about it is theirs to keep until they close it.
    Until then a late report joins the incident and is judged against what was alerted."""

    def quiet(now: datetime) -> ColumnElement[bool]:
        return incidents.c.updated_at < now - retention.disasters

    return [
        aged(decisions.c.decided_at, retention, "decisions", decisions.c.activation_id.is_(None)),
        *record_rules(
            incidents.c.id,
            quiet,
            [
                (decisions, decisions.c.incident_id),
                (activations, activations.c.incident_id),
                (reports, reports.c.incident_id),
            ],
            "disasters",
        ),
    ]
