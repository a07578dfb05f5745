"""The supervisor: restarts what dies, recovers from a broker restart, leaves no orphans."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.runtime.scenario import separate_red_earthquakes
from tests.e2e.system import (
    LEE_ONLY,
    System,
    child_pid,
    fed_system,
    gdacs_feed,
    member_mails,
    watched,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.broker


def test_a_killed_service_is_restarted_and_stopping_leaves_no_process(tmp_path: Path) -> None:
    with watched(
        System(tmp_path / "var", {"STANDBY_INGESTER__GDACS_RSS_URL": "http://127.0.0.1:9/none"})
    ) as system:
        first = wait_for(lambda: child_pid(system, "triage"), timeout=30, what="triage to start")
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (p := child_pid(system, "triage")) and p != first and p,
            timeout=30,
            what="triage to be restarted",
        )
        assert second != first


def test_a_killed_supervisor_takes_its_children_with_it(tmp_path: Path) -> None:
    system = System(
        tmp_path / "var", {"STANDBY_INGESTER__GDACS_RSS_URL": "http://127.0.0.1:9/none"}
    )
    system.start()
    wait_for(lambda: child_pid(system, "duty"), timeout=30, what="duty to start")
    assert system.proc is not None
    system.proc.kill()
    system.proc.wait()
    try:
        wait_for(lambda: system.processes() == [], timeout=20, what="children to exit")
    except AssertionError:
        print(system.described(), system.logs(), sep="\n")
        raise


def test_after_a_broker_restart_the_system_recovers_and_alerts_again(tmp_path: Path) -> None:
    quakes = separate_red_earthquakes(9_200_001, 2, datetime.now(UTC) - timedelta(minutes=5))
    with (
        gdacs_feed(quakes[:1]) as feed,
        watched(fed_system(tmp_path, LEE_ONLY, feed.url)) as system,
    ):
        wait_for(lambda: member_mails(system) == 1, timeout=90, what="the first alert")
        broker = child_pid(system, "broker")
        assert broker is not None
        os.kill(broker, signal.SIGKILL)
        wait_for(
            lambda: (p := child_pid(system, "broker")) and p != broker,
            timeout=30,
            what="a new broker",
        )
        # A second, unrelated disaster after the restart must still reach the member.
        feed.publish(quakes)  # the second, a disaster of its own
        wait_for(lambda: member_mails(system) >= 2, timeout=90, what="the alert after restart")
        wait_for(lambda: True, timeout=1, what="settle")
        assert member_mails(system) == 2


def test_an_invalid_config_file_stops_start_up_naming_file_line_and_field(tmp_path: Path) -> None:
    members = tmp_path / "members.yaml"
    members.write_text(LEE_ONLY.replace("    kind: ngo", "    kind: ngo\n    colour: red"))
    system = System(tmp_path / "var", {"STANDBY_MEMBERS_FILE": str(members)}).start()
    assert system.proc is not None
    assert system.proc.wait(timeout=30) == 2
    output = (system.var_dir / "run.out").read_text()
    assert f"{members}:6:5: organisations.0.colour: unknown key" in output
    assert system.processes() == []
    assert not (system.var_dir / "logs").exists()
