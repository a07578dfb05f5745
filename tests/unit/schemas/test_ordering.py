"""The domain's orders, defined once in the contract: alert rank, lead report, version order."""

from __future__ import annotations

from schemas.hazards import (
    AlertLevel,
    Source,
    alert_rank,
    compare_versions,
    lead_report,
    version_key,
)
from tests.unit.triage.builders import report


def test_alert_levels_rank_above_no_level() -> None:
    assert [alert_rank(a) for a in (None, *AlertLevel)] == [0, 1, 2, 3]


def test_the_lead_report_is_the_most_alarming_then_the_most_exposed() -> None:
    orange = report("TC:1", alert=AlertLevel.ORANGE, people=9_000_000)
    red = report("TC:2", alert=AlertLevel.RED, people=10)
    crowded = report("TC:3", alert=AlertLevel.RED, people=20)
    assert lead_report([orange, red]) is red
    assert lead_report([orange, red, crowded]) is crowded


def test_on_a_tie_gdacs_leads_whatever_the_order() -> None:
    gdacs = report("EQ:1", alert=AlertLevel.RED, people=100, title="GDACS title")
    other = report("7001", source=Source.RELIEFWEB, alert=AlertLevel.RED, people=100)
    assert lead_report([other, gdacs]) is gdacs
    assert lead_report([gdacs, other]) is gdacs


def test_versions_order_numbers_as_numbers_and_dates_as_dates() -> None:
    assert compare_versions("10", "9") == 1 and compare_versions("9", "10") == -1
    assert compare_versions("2026-11-23T11:00:00+00:00", "2026-11-23T19:00:00+09:00") == 1
    assert compare_versions("3", "3") == 0
    assert compare_versions("status:current", "status:alert") == 1  # unrelated: newer
    assert sorted(["10", "9", "b", "a"], key=version_key) == ["9", "10", "a", "b"]
