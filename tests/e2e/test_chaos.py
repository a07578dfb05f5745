"""The short chaos run in `make test`: one SIGKILL of each role (the broker and every service,
the notifier mid fan-out) while disasters arrive and pages are acknowledged; nothing may be
lost, each role works again within the limit, and the killed fan-out repeats at most 5 mails
(`make chaos` runs the long one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.chaos import Plan, run

pytestmark = pytest.mark.broker


def test_random_kills_lose_no_mail_page_or_acknowledgement(tmp_path: Path) -> None:
    report = run(Plan.short(), tmp_path)
    print(report.text())
    assert report.failures() == [], report.text()
    plan = Plan.short()
    assert report.kills == plan.kills
    assert set(report.recoveries) == set(plan.kills)
    assert len(report.repeats) == plan.kills["notifier"]
    # Each kill is followed by a disaster (a notifier kill by two), besides the first one.
    assert (
        report.events == 1 + sum(plan.kills.values()) + plan.kills["notifier"] + plan.extra_events
    )
    assert report.acks_confirmed == report.events
