"""The supervisor under faults: never exits, one process per role, crash loops reported."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas import ACKS
from services.runtime.scenario import ScenarioEvent, red_earthquake
from tests.conftest import free_port
from tests.e2e.system import (
    LEE_ONLY,
    REPO,
    GdacsFeed,
    System,
    child_pid,
    fed_system,
    gdacs_feed,
    member_mails,
    roles,
    watched,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

ROLES = ("broker", "smtp-sink", "ingester", "triage", "notifier", "duty")


def health(system: System) -> dict[str, Any]:
    url = f"http://127.0.0.1:{system.health_port}/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return dict(json.load(answer))
    except urllib.error.HTTPError as err:  # 503 while degraded still carries the report
        return dict(json.load(err))
    except OSError:
        return {}


def metric(system: System, name: str) -> float:
    url = f"http://127.0.0.1:{system.health_port}/metrics"
    with urllib.request.urlopen(url, timeout=2) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_broker_and_service_killed_50_ms_apart_leave_one_process_per_role(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    with (
        gdacs_feed([red_earthquake(9_300_001, now - timedelta(days=20))]) as feed,
        watched(fed_system(tmp_path, LEE_ONLY, feed.url)) as system,
    ):
        wait_for(lambda: member_mails(system) == 1, timeout=90, what="the first alert")
        broker, notifier = child_pid(system, "broker"), child_pid(system, "notifier")
        assert broker and notifier
        os.kill(broker, signal.SIGKILL)
        time.sleep(0.05)
        os.kill(notifier, signal.SIGKILL)
        killed = time.monotonic()
        # Watch every role through the recovery: never two processes for one.
        most: Counter[str] = Counter()
        while time.monotonic() - killed < 12:
            for role, pids in roles(system).items():
                most[role] = max(most[role], len(pids))
            time.sleep(0.02)
        assert all(most[role] == 1 for role in ROLES), most
        feed.publish(
            [
                red_earthquake(9_300_001, now - timedelta(days=20)),
                # Far from the first (~900 km): a disaster of its own, no aftershock.
                replace(red_earthquake(9_300_002, now - timedelta(minutes=5)), lat=18.0),
            ]
        )
        wait_for(lambda: member_mails(system) >= 2, timeout=60, what="the alert after the kills")
        assert system.proc is not None and system.proc.poll() is None


def events_of(system: System, role: str) -> list[str]:
    """The `event` of each JSON log line of a role, oldest first."""
    lines = (system.var_dir / "logs" / f"{role}.log").read_text(errors="replace").splitlines()
    return [json.loads(line).get("event", "") for line in lines if line.startswith("{")]


def logged_once(system: System, role: str, event: str, *, what: str) -> None:
    """Wait (up to a minute) until the role's log holds `event` exactly once."""
    wait_for(lambda: events_of(system, role).count(event) == 1, timeout=60, what=what)


def kill(system: System, role: str) -> int:
    """SIGKILL the role's running process; return its pid."""
    pid = child_pid(system, role)
    assert pid
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_service_still_joining_its_group_when_the_broker_is_replaced_reconnects_in_its_process(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    first = red_earthquake(9_300_201, now - timedelta(days=20))
    with gdacs_feed([first]) as feed:
        system = fed_system(tmp_path, LEE_ONLY, feed.url)
        # Sessions of 10 s (the default is 2 s): the broker holds each join 5 s, long enough
        # to be killed during one.
        system.env["STANDBY_KAFKA__SESSION_TIMEOUT_MS"] = "10000"
        # Through a group, which `standby run` otherwise does without (decision 0734).
        system.env["STANDBY_KAFKA__ASSIGN_PARTITIONS"] = "false"
        with watched(system):
            joining_when_the_broker_dies(system, feed, first, now)


def joining_when_the_broker_dies(
    system: System, feed: GdacsFeed, first: ScenarioEvent, now: datetime
) -> None:
    wait_for(lambda: member_mails(system) == 1, timeout=90, what="the first alert")
    # Mail flows before the notifier's last group (its pages) has joined: wait for the whole
    # start, so the kill below hits a notifier that had joined every group.
    logged_once(system, "notifier", "service_started", what="the first notifier's start")
    old = kill(system, "notifier")
    # The new notifier finds its database current, then joins its group, which the
    # broker holds until the killed member's session ends (10 s): the broker dies
    # during that join.
    notifier = wait_for(
        lambda: (p := child_pid(system, "notifier")) != old and p,
        timeout=30,
        what="the notifier started again",
    )
    logged_once(
        system, "notifier", "database_current", what="the new notifier checked its database"
    )
    kill(system, "broker")
    assert events_of(system, "notifier").count("service_started") == 1, (
        "the notifier had joined before the broker died"
    )
    most: Counter[str] = Counter()

    def notifier_started_again() -> bool:
        for role, pids in roles(system).items():
            most[role] = max(most[role], len(pids))
        return events_of(system, "notifier").count("service_started") == 2

    wait_for(notifier_started_again, timeout=60, what="the notifier's start", every=0.05)
    assert all(most[role] == 1 for role in ROLES), most
    # The same process: it gave up the join for the lost broker and made new clients.
    assert child_pid(system, "notifier") == notifier
    events = events_of(system, "notifier")
    second_start = events[events.index("service_started") + 1 :]
    assert "broker_replaced_reconnecting" in second_start, second_start
    # Far from the first (~900 km): a disaster of its own, no aftershock.
    second = replace(red_earthquake(9_300_202, now - timedelta(minutes=5)), lat=18.0)
    feed.publish([first, second])
    wait_for(lambda: member_mails(system) >= 2, timeout=60, what="the alert after the kill")
    assert child_pid(system, "notifier") == notifier


def test_a_broker_killed_while_starting_and_a_crash_looping_service_never_stop_the_runtime(
    tmp_path: Path,
) -> None:
    # The console's port is taken: duty dies at every start until it is freed.
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    system = System(
        tmp_path / "var", {"STANDBY_INGESTER__GDACS_RSS_URL": "http://127.0.0.1:9/none"}
    )
    blocker.bind(("127.0.0.1", system.console_port))
    blocker.listen()
    system.start()
    try:
        try:
            wait_for(
                lambda: health(system).get("processes", {}).get("duty", {}).get("crash_looping"),
                timeout=60,
                what="duty reported as crash-looping",
            )
            assert health(system)["status"] == "degraded"
            assert metric(system, 'standby_process_restarts_total{process="duty"}') >= 2
            # Kill each new broker as soon as it appears, before it can answer.
            for _ in range(3):
                old = wait_for(
                    lambda: child_pid(system, "broker"), timeout=30, what="a broker process"
                )
                os.kill(old, signal.SIGKILL)
                wait_for(
                    lambda old=old: (p := child_pid(system, "broker")) and p != old,  # type: ignore[misc]
                    timeout=30,
                    what="the broker started again",
                )
            assert system.proc is not None and system.proc.poll() is None
            blocker.close()
            wait_for(
                lambda: health(system).get("status") == "ok",
                timeout=60,
                what="every process running again",
            )
            assert system.proc.poll() is None
        except AssertionError:
            print(system.logs())
            raise
    finally:
        blocker.close()
        assert system.stop() == 0
    assert system.processes() == []


def test_a_service_still_starting_stops_at_once_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "STANDBY_VAR_DIR": str(tmp_path),
        "STANDBY_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",  # nothing answers
        "STANDBY_TRIAGE__METRICS_PORT": str(free_port()),
        "STANDBY_LOG_FORMAT": "json",
    }
    log = tmp_path / "triage.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services", "triage"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: "broker_unreachable" in log.read_text(), timeout=30, what="the broker wait"
        )
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        # Not the 300 s broker wait, nor a 15 s grace: the start is given up at once.
        assert time.monotonic() - asked < 5, log.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_console_acknowledges_while_the_broker_is_away_and_publishes_when_it_is_back(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    with gdacs_feed([red_earthquake(9_300_101, now - timedelta(minutes=10))]) as feed:
        system = fed_system(tmp_path, LEE_ONLY, feed.url).start()
        broker = None
        try:
            try:
                page = wait_for(
                    lambda: next(
                        (
                            m
                            for m in system.mails()
                            if m["To"].addresses[0].addr_spec.endswith("@duty.example.org")
                        ),
                        None,
                    ),
                    timeout=90,
                    what="the duty page mail",
                )
                assert page is not None
                body = page.get_body(preferencelist=("plain",))
                assert body is not None
                link = re.search(r"(http://\S+/a/\S+)", str(body.get_content()))
                assert link
                broker = child_pid(system, "broker")
                assert broker
                os.kill(broker, signal.SIGSTOP)  # away: alive for the supervisor, mute to clients
                with httpx.Client(timeout=10) as phone:
                    confirm = phone.get(link.group(1))
                    csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
                    assert csrf, confirm.text[:300]
                    done = phone.post(link.group(1), data={"csrf": csrf.group(1)})
                assert 'data-key="acknowledged_by_you"' in done.text
                assert duty_acks(system) == (1, 1)  # recorded, waiting in the outbox
                os.kill(broker, signal.SIGCONT)
                broker = None
                wait_for(
                    lambda: duty_acks(system) == (1, 0),
                    timeout=60,
                    what="the acknowledgement published once the broker is back",
                )
            except AssertionError:
                print(system.logs())
                raise
        finally:
            if broker:
                os.kill(broker, signal.SIGCONT)
            assert system.stop() == 0
    assert system.processes() == []


def duty_acks(system: System) -> tuple[int, int]:
    """(activations acknowledged, acknowledgements not yet published) in duty's database."""
    with sqlite3.connect(system.var_dir / "duty.db") as db:
        acked = db.execute(
            "SELECT count(*) FROM duty_activations WHERE acknowledged_at IS NOT NULL"
        ).fetchone()[0]
        waiting = db.execute(
            "SELECT count(*) FROM outbox WHERE topic = ? AND published_at IS NULL", (ACKS,)
        ).fetchone()[0]
    return int(acked), int(waiting)
