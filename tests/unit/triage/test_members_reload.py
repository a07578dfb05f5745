"""Triage follows an edited member directory: presence facts change without a restart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from schemas.members import MemberDirectory
from services.triage.facts import FactContext, Presence
from services.triage.handlers import TriageHandlers
from services.triage.incidents import MergePolicy
from tests.unit.triage.builders import directory, shipped


def test_an_edited_directory_reaches_the_presence_facts_and_the_rules() -> None:
    current: dict[str, MemberDirectory] = {"now": directory(alpha=["PHL"])}
    criteria = shipped()
    first = current["now"]
    ctx: Any = None  # the reload touches neither the broker nor the database
    handlers = TriageHandlers(
        ctx,
        criteria,
        FactContext(presence=Presence.from_directory(first)),
        MergePolicy(window=timedelta(hours=72), distance_km=500),
        members=lambda: current["now"],
    )
    rules = handlers.rules
    handlers._follow_members()
    assert handlers.rules is rules  # unchanged directory: nothing recompiled
    assert handlers.context.presence.organisations(["PHL"]) == ("Alpha",)

    current["now"] = directory(alpha=["PHL"], beta=["PHL", "BGD"])
    handlers._follow_members()
    assert handlers.context.presence.organisations(["PHL"]) == ("Alpha", "Beta")
    assert handlers.rules is not rules and handlers.rules.context is handlers.context
