"""Triage's growing table on the retention schedule: the decisions that published nothing."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from services.common.retention import Rule, older_than
from services.common.settings import RetentionSettings
from services.triage.models import DecisionRow

decisions = cast(Table, DecisionRow.__table__)


def rules(retention: RetentionSettings) -> list[Rule]:
    """Each changed report is decided again (a decision row a feed update); the decisions behind
    an activation say why members were alerted and stay with their incident."""
    return [
        Rule(
            decisions,
            older_than(
                decisions.c.decided_at, retention.decisions, decisions.c.activation_id.is_(None)
            ),
            "decisions",
        )
    ]
