"""Chaos run: `standby run` against a local feed, its processes killed with SIGKILL on a seeded
schedule while disasters arrive and duty pages are acknowledged from their mails.

`make chaos` runs the long schedule; tests/e2e/test_chaos.py runs a short one in `make test`.
Every broker kill is followed at once by a new disaster; its recovery time is from the kill to
the first member mail of that disaster. The run ends with Ctrl-C (SIGINT to the runtime) and
counts lost and duplicate mails, missing pages, lost acknowledgements and processes left, and
fails on any loss, on more duplicate mails than notifier kills, or on a recovery slower than
the limit.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from schemas import ACKS
from services.runtime.feed_server import FeedServer
from services.runtime.scenario import ScenarioEvent, gdacs_rss, red_earthquake
from tests.e2e.system import System, child_pid, fed_system

VICTIMS = ("ingester", "triage", "notifier", "duty")
RECOVERY_LIMIT_S = 10.0
DUTY_DOMAIN = "@duty.example.org"


@dataclass(frozen=True)
class Plan:
    """What a run does: how long, how many kills (of which broker kills), how many disasters."""

    seed: int
    kills: int
    broker_kills: int
    events: int
    contacts: int
    duration_s: float
    settle_s: float = 60.0

    @classmethod
    def short(cls, seed: int = 7) -> Plan:
        return cls(seed=seed, kills=3, broker_kills=1, events=3, contacts=10, duration_s=65)

    @classmethod
    def long(cls, seed: int = 2026) -> Plan:
        return cls(seed=seed, kills=20, broker_kills=6, events=12, contacts=30, duration_s=350)


@dataclass(frozen=True)
class Step:
    at: float
    action: str  # "kill" or "event"
    target: str = ""


def schedule(plan: Plan) -> list[Step]:
    """Kills at least 16 s apart, so each recovery starts from a recovered system (a broker kill
    is at once followed by a new disaster, whose first mail ends the recovery); other disasters
    at random times between."""
    rng = random.Random(plan.seed)
    targets = ["broker"] * plan.broker_kills + [
        rng.choice(VICTIMS) for _ in range(plan.kills - plan.broker_kills)
    ]
    rng.shuffle(targets)
    gap = (plan.duration_s - 15) / max(1, plan.kills)
    steps = [Step(at=0.0, action="event")]  # the first disaster before anything dies
    for i, target in enumerate(targets):
        at = 12 + i * gap + rng.uniform(0, max(0.0, gap - 16))
        steps.append(Step(at=at, action="kill", target=target))
    for _ in range(max(0, plan.events - 1 - plan.broker_kills)):
        steps.append(Step(at=rng.uniform(3, plan.duration_s), action="event"))
    return sorted(steps, key=lambda s: (s.at, s.action != "kill"))


def members_yaml(contacts: int) -> str:
    people = "\n".join(
        f"      - {{id: m{i}, name: Member {i}, language: en, email: m{i}@ngo.example.org}}"
        for i in range(contacts)
    )
    return (
        "organisations:\n"
        "  - id: chaos-ngo\n    name_ja: カオスNGO\n    name_en: Chaos NGO\n    kind: ngo\n"
        f"    contacts:\n{people}\n    subscription: {{min_level: standby}}\n"
    )


def disaster(n: int, now: datetime) -> ScenarioEvent:
    """The n-th red earthquake: its own place and time, so triage never merges two of them."""
    when = (now - timedelta(days=2 * n, minutes=n)).replace(second=0, microsecond=0)
    quake = red_earthquake(9_700_001 + n, when)
    return dataclasses.replace(quake, lat=5.5 + (n % 4) * 4.3, lon=121.0 + (n % 3) * 2.5)


def token(event: ScenarioEvent) -> str:
    """What the event's title, and so its mails, carry uniquely: the date and minute."""
    return f"{event.from_date:%d/%m/%Y %H:%M}"


@dataclass
class Mail:
    message_id: str
    recipient: str
    text: str
    arrived: float


@dataclass
class Report:
    plan: Plan
    kills: Counter[str] = field(default_factory=Counter)
    events: int = 0
    expected_mails: int = 0
    lost_mails: int = 0
    duplicate_mails: int = 0
    missing_pages: int = 0
    acks_confirmed: int = 0
    lost_acks: int = 0
    ack_failures: int = 0
    recoveries: list[float | None] = field(default_factory=list)
    runtime_up: bool = True
    leftover: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    log_lines: Counter[str] = field(default_factory=Counter)

    def failures(self) -> list[str]:
        found = []
        if self.lost_mails:
            found.append(f"{self.lost_mails} member mails lost")
        if self.missing_pages:
            found.append(f"{self.missing_pages} disasters never paged")
        if self.lost_acks:
            found.append(f"{self.lost_acks} acknowledgements lost")
        if self.duplicate_mails > self.kills["notifier"]:
            found.append(
                f"{self.duplicate_mails} duplicate mails for {self.kills['notifier']} notifier kills"
            )
        slow = [r for r in self.recoveries if r is None or r > RECOVERY_LIMIT_S]
        if slow:
            found.append(f"broker recoveries over {RECOVERY_LIMIT_S:.0f} s: {self.recoveries}")
        if not self.runtime_up:
            found.append("the runtime exited during the run")
        if self.leftover:
            found.append(f"processes left after Ctrl-C: {self.leftover}")
        return found

    def text(self) -> str:
        times = [r for r in self.recoveries if r is not None]
        kills = ", ".join(f"{n} {name}" for name, n in sorted(self.kills.items()))
        lines = [
            f"chaos seed {self.plan.seed}: {sum(self.kills.values())} kills ({kills}),"
            f" {self.events} disasters × {self.plan.contacts} members, {self.elapsed_s:.0f} s",
            f"  lost mails               {self.lost_mails} of {self.expected_mails}",
            f"  duplicate mails          {self.duplicate_mails}"
            f" (notifier kills: {self.kills['notifier']})",
            f"  missing pages            {self.missing_pages}",
            f"  acknowledgements         {self.acks_confirmed} confirmed, {self.lost_acks} lost"
            f" ({self.ack_failures} tries refused while a process was down)",
            "  broker recoveries (kill → first mail of a new disaster) "
            + ", ".join("never" if r is None else f"{r:.1f}" for r in self.recoveries)
            + (f"  max {max(times):.1f} s" if times else ""),
            f"  runtime up at the end    {'yes' if self.runtime_up else 'NO'}",
            f"  leftover after Ctrl-C    {len(self.leftover)}",
            "  broker log lines         "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.log_lines.items())),
        ]
        failures = self.failures()
        lines.append("  result                   " + ("PASS" if not failures else "FAIL"))
        lines.extend(f"    - {f}" for f in failures)
        return "\n".join(lines)


class Run:
    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.now = datetime.now(UTC)
        self.published: list[ScenarioEvent] = []
        self.mails: dict[str, list[Mail]] = {}  # by file name
        self.paged: dict[str, str] = {}  # event token → link of its first page mail
        self.acked: set[str] = set()  # tokens whose acknowledgement the console confirmed
        self.report = Report(plan)
        self.probes: list[tuple[float, str]] = []  # (kill wall time, token of the probe)

    def read_new_mails(self, system: System) -> None:
        for path in sorted(system.mail_dir.glob("*.eml")):
            if path.name in self.mails:
                continue
            try:
                arrived = path.stat().st_mtime
                msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            except OSError:
                continue
            assert isinstance(msg, EmailMessage)
            body = msg.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""
            recipient = str(msg["To"].addresses[0].addr_spec)
            self.mails[path.name] = [Mail(str(msg["Message-ID"]), recipient, text, arrived)]
            if recipient.endswith(DUTY_DOMAIN):
                found = re.search(r"(http://\S+/a/\S+)", text)
                for event in self.published:
                    if token(event) in text and found and token(event) not in self.paged:
                        self.paged[token(event)] = found.group(1)

    def acknowledge(self) -> None:
        for key, link in self.paged.items():
            if key in self.acked:
                continue
            try:
                with httpx.Client(timeout=3) as phone:
                    confirm = phone.get(link)
                    csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
                    if confirm.status_code != 200 or not csrf:
                        raise httpx.HTTPError(f"confirm page {confirm.status_code}")
                    done = phone.post(link, data={"csrf": csrf.group(1)})
                if 'data-key="acknowledged_by_you"' in done.text:
                    self.acked.add(key)
                elif 'data-key="acknowledged_by' in done.text:
                    self.acked.add(key)  # a retry after a confirmed-but-unanswered try
                else:
                    raise httpx.HTTPError(f"acknowledge answered {done.status_code}")
            except httpx.HTTPError:
                self.report.ack_failures += 1

    def publish(self, feeds: FeedServer) -> str:
        event = disaster(len(self.published), self.now)
        self.published.append(event)
        feeds.put("/xml/rss.xml", gdacs_rss(self.published))
        return token(event)

    def execute(self, system: System, feeds: FeedServer) -> None:
        plan = self.plan
        steps = schedule(plan)
        started = time.monotonic()
        system.start()
        try:
            # The clock starts when the first member mail of the first disaster is out.
            self.publish(feeds)
            steps = [s for s in steps if not (s.at == 0.0 and s.action == "event")]
            self._until(system, lambda: self._member_mails_of(0) > 0, 120)
            t0 = time.monotonic()
            for step in steps:
                while time.monotonic() - t0 < step.at:
                    self._tick(system)
                    time.sleep(0.05)
                if step.action == "kill":
                    pid = child_pid(system, step.target)
                    if pid is None:
                        continue  # already down (a restart in progress): not a kill
                    os.kill(pid, signal.SIGKILL)
                    killed_at = time.time()
                    self.report.kills[step.target] += 1
                    if step.target == "broker":
                        self.probes.append((killed_at, self.publish(feeds)))
                else:
                    self.publish(feeds)
            self._until(system, self._complete, plan.settle_s)
            self.report.runtime_up = system.proc is not None and system.proc.poll() is None
        finally:
            code = system.stop(timeout=60, ctrl_c=True)
            self.report.runtime_up = self.report.runtime_up and code == 0
        self.report.elapsed_s = time.monotonic() - started
        self.read_new_mails(system)
        self.report.leftover = system.processes()
        self._count(system)

    def _tick(self, system: System) -> None:
        self.read_new_mails(system)
        self.acknowledge()

    def _until(self, system: System, done: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        check = done if callable(done) else (lambda: False)
        while time.monotonic() < deadline:
            self._tick(system)
            if check():
                return
            time.sleep(0.1)

    def _member_mails_of(self, n: int) -> int:
        key = token(self.published[n])
        return sum(
            1
            for (m,) in self.mails.values()
            if not m.recipient.endswith(DUTY_DOMAIN) and key in m.text
        )

    def _complete(self) -> bool:
        every_mail = all(
            len(
                {
                    m.recipient
                    for (m,) in self.mails.values()
                    if not m.recipient.endswith(DUTY_DOMAIN) and token(e) in m.text
                }
            )
            >= self.plan.contacts
            for e in self.published
        )
        return every_mail and all(token(e) in self.acked for e in self.published)

    def _count(self, system: System) -> None:
        r = self.report
        r.events = len(self.published)
        r.expected_mails = r.events * self.plan.contacts
        mails = [m for (m,) in self.mails.values()]
        members = [m for m in mails if not m.recipient.endswith(DUTY_DOMAIN)]
        delivered = {
            (token(e), m.recipient) for e in self.published for m in members if token(e) in m.text
        }
        r.lost_mails = r.expected_mails - len(delivered)
        r.duplicate_mails = len(mails) - len({m.message_id for m in mails})
        r.missing_pages = sum(1 for e in self.published if token(e) not in self.paged)
        r.acks_confirmed = len(self.acked)
        r.lost_acks = len(self.acked) - self._acks_kept(system)
        for killed_at, key in self.probes:
            firsts = [m.arrived for m in members if key in m.text]
            r.recoveries.append(min(firsts) - killed_at if firsts else None)
        for path in (system.var_dir / "logs").glob("*.log"):
            text = path.read_text(errors="replace")
            for event in ("broker_unreachable", "broker_still_unreachable", "broker_reachable"):
                r.log_lines[event] += text.count(f'"event": "{event}"')
            r.log_lines["aiokafka lines"] += text.count('"logger": "aiokafka')

    def _acks_kept(self, system: System) -> int:
        """Confirmed acknowledgements duty holds, less any it has not published."""
        with sqlite3.connect(system.var_dir / "duty.db") as db:
            rows = db.execute(
                "SELECT title FROM duty_activations WHERE acknowledged_at IS NOT NULL"
            ).fetchall()
            unpublished = db.execute(
                "SELECT count(*) FROM outbox WHERE topic = ? AND published_at IS NULL", (ACKS,)
            ).fetchone()[0]
        kept = {key for key in self.acked if any(key in title for (title,) in rows)}
        return len(kept) - int(unpublished)


def run(plan: Plan, workdir: Path) -> Report:
    """Run the plan in `workdir`; return what it found."""
    runner = Run(plan, workdir)
    with FeedServer() as feeds:
        url = feeds.put("/xml/rss.xml", gdacs_rss([]))
        runner.execute(fed_system(workdir, members_yaml(plan.contacts), url), feeds)
    return runner.report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the few-kill version of make test")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args(argv)
    plan = Plan.short() if args.short else Plan.long()
    if args.seed is not None:
        plan = dataclasses.replace(plan, seed=args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="standby-chaos-"))
    report = run(plan, workdir)
    print(report.text(), flush=True)
    print(f"  logs                     {workdir / 'var' / 'logs'}", flush=True)
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
