"""The short chaos run in `make test`: a few SIGKILLs (one of them the broker) while disasters
arrive and pages are acknowledged; nothing may be lost (`make chaos` runs the long one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.chaos import Plan, run

pytestmark = pytest.mark.broker


def test_random_kills_lose_no_mail_page_or_acknowledgement(tmp_path: Path) -> None:
    report = run(Plan.short(), tmp_path)
    print(report.text())
    assert report.failures() == [], report.text()
    assert sum(report.kills.values()) == Plan.short().kills
    assert report.events == Plan.short().events and report.acks_confirmed == report.events
