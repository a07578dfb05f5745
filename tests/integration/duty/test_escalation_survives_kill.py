"""Escalation timers live in the database: a duty process killed with SIGKILL keeps its promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import EmbeddedBroker
from tests.integration.duty.factories import activation, write_rota
from tests.integration.duty.process import DutyProcess, publish
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

STEP_S = 9.0  # the backup is paged 9 s after the on-duty officer, the leadership 9 s later


@pytest.fixture
def duty(tmp_path: Path, embedded_broker: EmbeddedBroker) -> Iterator[DutyProcess]:
    rota = write_rota(
        tmp_path / "rota.yaml",
        backup_after_minutes=STEP_S / 60,
        team_after_minutes=STEP_S / 60,
    )
    process = DutyProcess(tmp_path / "var", embedded_broker.bootstrap, rota)
    yield process
    process.stop()


def published_pages(duty: DutyProcess, count: int) -> list[datetime]:
    """Return when the outbox relayed each page, once `count` of them have been relayed."""
    rows = duty.query(
        "SELECT published_at FROM outbox WHERE topic = 'pages.v1' AND published_at IS NOT NULL"
        " ORDER BY published_at"
    )
    stamps = [datetime.fromisoformat(r[0]).replace(tzinfo=UTC) for r in rows]
    return stamps if len(stamps) >= count else []


def clock_started(duty: DutyProcess) -> datetime:
    """When the current process's escalation clock started."""
    at = wait_for(
        lambda: duty.logged_at("escalation_clock_started"), timeout=10, what="the clock's start"
    )
    assert at is not None
    return at


def test_a_killed_duty_escalates_on_time_after_restart_and_at_once_when_overdue(
    duty: DutyProcess, embedded_broker: EmbeddedBroker
) -> None:
    duty.start()
    duty.wait_ready()
    incoming = activation()
    publish(embedded_broker.bootstrap, incoming)
    first = wait_for(lambda: duty.pages(incoming.activation_id), timeout=60, what="the first page")
    assert [(step, officer) for step, officer, _ in first] == [(0, "aoki")]
    paged_at = first[0][2]

    # Killed while the backup's timer is pending, restarted at once: it fires on time.
    duty.kill9()
    backup_due = paged_at + timedelta(seconds=STEP_S)
    assert duty.query("SELECT step FROM duty_timers WHERE status = 'pending'") == [(1,)]
    duty.start()
    pages = wait_for(
        lambda: len(duty.pages(incoming.activation_id)) >= 2 and duty.pages(incoming.activation_id),
        timeout=STEP_S + 30,
        what="the escalation to the backup",
    )
    assert pages
    step, officer, escalated_at = pages[1]
    assert (step, officer) == (1, "sato")
    # On time: at its due time, or at once if the new process's clock was not running yet.
    clock = clock_started(duty)
    assert backup_due <= escalated_at < max(backup_due, clock) + timedelta(seconds=1.5), duty.log()
    relayed = wait_for(
        lambda: published_pages(duty, 2), timeout=10, what="the escalation page to be relayed"
    )
    # Relayed to the broker without waiting for the consumer group: a page due before the
    # join finished went before it (with short sessions the join may also finish first).
    joined = duty.logged_at("service_started")
    assert joined is None or backup_due >= joined or relayed[-1] < joined, duty.log()

    # Killed again and kept down past the leadership's time: it fires as soon as it is back.
    duty.kill9()
    leadership_due = escalated_at + timedelta(seconds=STEP_S)
    wait_for(
        lambda: datetime.now(UTC) > leadership_due + timedelta(seconds=1),
        timeout=STEP_S + 5,
        what="the leadership step to become overdue",
    )
    duty.start()
    pages = wait_for(
        lambda: len(duty.pages(incoming.activation_id)) >= 3 and duty.pages(incoming.activation_id),
        timeout=60,
        what="the overdue escalation to the leadership",
    )
    assert pages
    step, officer, late_at = pages[2]
    assert (step, officer) == (2, "ito")
    # At once: in the first round of the new process's clock (a database read and one
    # transaction), nowhere near a step later, however long the process took to start.
    clock = clock_started(duty)
    assert clock <= late_at < clock + timedelta(seconds=STEP_S / 3), duty.log()
    assert duty.query(
        "SELECT state, step FROM duty_activations WHERE activation_id = ?",
        str(incoming.activation_id),
    ) == [("escalated", 2)]
