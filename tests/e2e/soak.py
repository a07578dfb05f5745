"""Soak: `standby run` on PostgreSQL for a long while at a steady mixed load, retention set short.

A new red earthquake a minute to 200 member contacts, the feed updated every 10 s (the newest
event's exposed population moves, so its changed version is published and decided again), every
duty page acknowledged from its mail, one member answering each roll-call from its alert, and
every activation stood down from the console once answered. Every 10 s it samples the RSS of
each process, the consumer lag every service reports, and the rows and size of every table;
per window (5 minutes by default) it prints RSS start / end / max, database and table sizes,
the highest lag and the first member mail's p99 from the fetch that carried its event.

It passes when, after the warm-up windows, each service's RSS and the lag stay flat within
10 % (RSS: the last window's end against the first judged window's end; lag: the last window's
peak against the peaks before it, with a few messages of slack) and every table stays
bounded (its peak rows in the last window at most 10 % over the peaks before, plus a few
rows of slack), each disaster's own record included; the embedded broker is reported apart.
The samples are written to `soak.json` in the run's folder.

    python -m tests.e2e.soak                     # make soak: 30 minutes, 5-minute windows
    python -m tests.e2e.soak --minutes 6 --window 2 --warmup 2   # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from benchmarks.bench_pipeline import members_yaml, pct
from benchmarks.support import POSTGRES_URL, backends, drop_schemas
from services.runtime.feed_server import FeedServer
from services.runtime.scenario import ScenarioEvent, gdacs_rss
from tests.e2e.chaos import disaster, token
from tests.e2e.system import System, fed_system, roles

FEED = "/xml/rss.xml"
DUTY_DOMAIN = "@duty.example.org"
PASSWORD = "standby-demo"  # the example rota's console password
SAMPLE_S = 10.0
FLAT = 0.10
LAG_SLACK = 20  # messages: lag is mostly 0, a burst caught mid-fan-out is not growth
ROW_SLACK = 50

# Retention at minutes, so a soak of half an hour prunes every table many times over.
SHORT_RETENTION = {
    "STANDBY_RETENTION__INTERVAL_S": "15",
    "STANDBY_KAFKA__REPLAY_WINDOW_S": "180",
    "STANDBY_DUTY__LINK_TTL_HOURS": "0.05",  # 3 minutes: spent nonces expire and go
    **{
        f"STANDBY_RETENTION__{name}": "PT3M"
        for name in (
            "DELIVERIES",
            "THREADS",
            "SECURITY_EVENTS",
            "ROLLCALL_AUDIT",
            "ANSWERS_AFTER_CLOSE",
            "INBOX",
            "OUTBOX_PUBLISHED",
            "SPENT_TOKENS",
        )
    },
    # An event stays in the feed for 3 minutes: its seen row must outlive that.
    "STANDBY_RETENTION__SEEN_EVENTS": "PT6M",
    "STANDBY_RETENTION__DECISIONS": "PT3M",
    # Each disaster's record (incidents, activations, roll-calls) 3 minutes after its close:
    # every disaster of the run is stood down within a minute of its page.
    "STANDBY_RETENTION__DISASTERS": "PT3M",
}
# The embedded broker keeps every message in memory and never frees it (Tansu's memory://
# storage); production's Kafka bounds its topics by retention. Reported, judged apart.
BROKER = "broker"


@dataclass
class Sample:
    at: float
    rss_mb: dict[str, float]
    lag: dict[str, int]  # by "service topic"
    rows: dict[str, int]
    table_mb: dict[str, float]
    database_mb: float
    disasters: int


@dataclass
class Soak:
    system: System
    feeds: FeedServer
    prefix: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[ScenarioEvent] = field(default_factory=list)
    served: dict[str, str] = field(default_factory=dict)  # token → etag of the first document
    first_mail: dict[str, float] = field(default_factory=dict)  # token → first member mail
    published_at: dict[str, float] = field(default_factory=dict)
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # token → (officer, link)
    answer_links: dict[str, str] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)
    stood_down: set[str] = field(default_factory=set)
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mails_seen: set[str] = field(default_factory=set)
    member_mails: int = 0
    samples: list[Sample] = field(default_factory=list)

    # The load -----------------------------------------------------------------------------

    def publish(self, new: bool) -> None:
        if new:
            self.events.append(disaster(len(self.events), self.now))
            self.published_at[token(self.events[-1])] = time.time()
        shown = [
            dataclasses.replace(e, population=e.population + int(time.time()) % 997)
            if e is self.events[-1]
            else e
            for e in self.events[-3:]
        ]
        self.feeds.put(FEED, gdacs_rss(shown))
        if new:
            self.served[token(self.events[-1])] = self.feeds.etag(FEED)

    def read_mails(self) -> None:
        for path in sorted(self.system.mail_dir.glob("*.eml")):
            if path.name in self.mails_seen:
                continue
            self.mails_seen.add(path.name)
            accepted = int(path.name.split("-", 1)[0]) / 1e9
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(mail, EmailMessage)
            body = mail.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""
            to = str(mail["To"].addresses[0].addr_spec)
            key = next((token(e) for e in self.events if token(e) in text), None)
            if key is None:
                continue
            if to.endswith(DUTY_DOMAIN):
                link = re.search(r"(http://\S+/a/\S+)", text)
                if link and key not in self.pages:
                    self.pages[key] = (to.split("@")[0], link.group(1))
                continue
            self.member_mails += 1
            self.first_mail[key] = min(self.first_mail.get(key, accepted), accepted)
            answer = re.search(r"(https?://\S+/respond/\S+)\?answer=can_deploy", text)
            if answer and key not in self.answer_links:
                self.answer_links[key] = answer.group(1)

    def respond(self, client: httpx.Client, console: httpx.Client) -> None:
        for key, (officer, link) in list(self.pages.items()):
            if key not in self.acked:
                self._try("acknowledge", self.acked, key, self._acknowledge, client, link)
            if key in self.acked and key not in self.answered and key in self.answer_links:
                link = self.answer_links[key]
                self._try("answer", self.answered, key, self._answer, client, link)
            if key in self.answered and key not in self.stood_down:
                self._try(
                    "stand_down", self.stood_down, key, self._stand_down, console, officer, key
                )

    def _try(
        self, what: str, done: set[str], key: str, step: Callable[..., bool], *args: object
    ) -> None:
        try:
            if step(*args):
                done.add(key)
        except httpx.HTTPError:
            self.failures[what] += 1

    def _acknowledge(self, client: httpx.Client, link: str) -> bool:
        confirm = client.get(link)
        csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
        if not csrf:
            return 'data-key="acknowledged_by' in confirm.text
        done = client.post(link, data={"csrf": csrf.group(1)})
        return 'data-key="acknowledged_by' in done.text

    def _answer(self, client: httpx.Client, link: str) -> bool:
        client.get(link + "?answer=can_deploy")
        posted = client.post(link, data={"answer": "can_deploy", "staff": "4"})
        return posted.status_code == 200

    def _stand_down(self, console: httpx.Client, officer: str, key: str) -> bool:
        if not console.cookies:
            login = console.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
            assert csrf, login.text[:300]
            console.post(
                "/login", data={"officer_id": officer, "password": PASSWORD, "csrf": csrf.group(1)}
            )
        found = [
            a for a in console.get("/api/v1/activations").json() if key in str(a.get("title", ""))
        ]
        if not found:
            return False
        if found[0]["state"] in ("stood_down", "launched"):
            return True
        base = f"/activations/{found[0]['activation_id']}"
        confirm = console.get(f"{base}/stand_down/confirm")
        csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
        if not csrf:
            console.cookies.clear()  # the session ended: log in again next time
            return False
        done = console.post(
            f"{base}/stand_down",
            data={"csrf": csrf.group(1), "note": "soak", "member_message": "Stand down (soak)"},
        )
        return done.status_code in (200, 303)

    # The measurements --------------------------------------------------------------------

    def sample(self) -> None:
        rss: dict[str, float] = {}
        assert self.system.proc is not None
        for role, pids in roles(self.system).items():
            for pid in pids:
                rss[role] = rss.get(role, 0.0) + _rss_mb(pid)
        lag: dict[str, int] = {}
        for service, port in self.system.metrics_ports.items():
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.HTTPError:
                continue
            for topic, value in re.findall(
                r'^standby_consumer_lag\{topic="([^"]+)"\} (\S+)', text, re.M
            ):
                lag[f"{service} {topic}"] = int(float(value))
        rows, sizes, total = asyncio.run(_tables(self.prefix))
        self.samples.append(Sample(time.time(), rss, lag, rows, sizes, total, len(self.events)))


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


async def _tables(prefix: str) -> tuple[dict[str, int], dict[str, float], float]:
    """Rows and size of every table in the run's schemas, and the whole database's size."""
    from sqlalchemy import text

    from services.common.db import Database

    db = Database(POSTGRES_URL, "soak", schema="public")
    try:
        async with db.sessions() as session:
            tables = (
                await session.execute(
                    text(
                        "SELECT schemaname, relname, n_live_tup,"
                        " pg_total_relation_size(relid) FROM pg_stat_user_tables"
                        " WHERE schemaname LIKE :p AND relname <> 'alembic_version'"
                    ),
                    {"p": f"{prefix}%"},
                )
            ).all()
            rows: dict[str, int] = {}
            for schema, table, _, _ in tables:
                count = await session.execute(text(f'SELECT count(*) FROM "{schema}"."{table}"'))
                rows[f"{schema.removeprefix(prefix)}.{table}"] = int(count.scalar_one())
            total = (
                await session.execute(text("SELECT pg_database_size(current_database())"))
            ).scalar_one()
    finally:
        await db.dispose()
    sizes = {f"{s.removeprefix(prefix)}.{t}": b / 1e6 for s, t, _, b in tables}
    return rows, sizes, total / 1e6


# The report ------------------------------------------------------------------------------


@dataclass
class Window:
    index: int
    samples: list[Sample]
    first_ms: list[float]


def windows(soak: Soak, started: float, window_s: float) -> list[Window]:
    out: list[Window] = []
    for sample in soak.samples:
        i = int((sample.at - started) // window_s)
        while len(out) <= i:
            out.append(Window(len(out), [], []))
        out[i].samples.append(sample)
    for key, first in soak.first_mail.items():
        fetched = soak.feeds.first_served.get(soak.served.get(key, ""))
        if fetched is None:
            continue
        i = int((soak.published_at[key] - started) // window_s)
        if 0 <= i < len(out):
            out[i].first_ms.append((first - fetched) * 1000)
    return [w for w in out if w.samples]


def verdict(judged: list[Window]) -> tuple[list[str], list[str]]:
    """What is not flat or not bounded between the first and the last judged window, and what
    is reported apart (the embedded broker)."""
    if len(judged) < 2:
        return ["fewer than two windows after the warm-up: nothing to compare"], []
    first, last = judged[0].samples[-1], judged[-1].samples[-1]
    problems: list[str] = []
    apart: list[str] = []
    for role, begin in first.rss_mb.items():
        end = last.rss_mb.get(role, 0.0)
        if role == BROKER:
            grown = (end - begin) / max(last.disasters - first.disasters, 1)
            apart.append(
                f"embedded broker RSS {begin:.0f} → {end:.0f} MB ({grown:.2f} MB a disaster)"
            )
        elif end > begin * (1 + FLAT):
            problems.append(f"RSS of {role} grew {begin:.0f} → {end:.0f} MB")
    # Lag and rows peak at each fan-out (200 reports on their way, 200 rows before a round):
    # flat means the last window's peak is no higher than the peaks seen before it.
    lag_before = max(sum(s.lag.values()) for w in judged[:-1] for s in w.samples)
    lag_last = max(sum(s.lag.values()) for s in judged[-1].samples)
    if lag_last > lag_before * (1 + FLAT) + LAG_SLACK:
        problems.append(f"consumer lag grew {lag_before} → {lag_last}")
    for table in first.rows:
        begin = max(s.rows.get(table, 0) for w in judged[:-1] for s in w.samples)
        end = max(s.rows.get(table, 0) for s in judged[-1].samples)
        if end > begin * (1 + FLAT) + ROW_SLACK:
            problems.append(f"table {table} grew {begin} → {end} rows")
    return problems, apart


def _lag(w: Window) -> str:
    """The highest total lag of a window, and the topics that held most of it then."""
    top = max(w.samples, key=lambda s: sum(s.lag.values()))
    held = sorted(((v, k) for k, v in top.lag.items() if v), reverse=True)[:3]
    return f"{sum(top.lag.values())}" + (
        f" ({', '.join(f'{k} {v}' for v, k in held)})" if held else ""
    )


def report(soak: Soak, found: list[Window], warmup: int, window_min: float) -> bool:
    print(f"\nsoak on PostgreSQL: {len(soak.events)} disasters, {soak.member_mails} member mails")
    print(
        f"  acknowledged {len(soak.acked)}, answered {len(soak.answered)},"
        f" stood down {len(soak.stood_down)}; failed tries {dict(soak.failures) or 0}"
    )
    roles_seen = sorted({r for w in found for s in w.samples for r in s.rss_mb})
    for w in found:
        label = "warm-up" if w.index < warmup else "judged"
        minutes = f"{w.index * window_min:.0f}-{(w.index + 1) * window_min:.0f} min"
        p99 = f"{pct(w.first_ms, 0.99):.0f} ms" if w.first_ms else "-"
        print(
            f"\nwindow {minutes} ({label}): first member mail p99 {p99}"
            f" (n={len(w.first_ms)}), consumer lag max {_lag(w)},"
            f" the run's tables {sum(w.samples[-1].table_mb.values()):.1f} MB"
            f" (database {w.samples[-1].database_mb:.1f} MB, other schemas included)"
        )
        print(f"  {'process':<12}{'RSS start':>10}{'end':>8}{'max':>8} MB")
        for role in roles_seen:
            values = [s.rss_mb.get(role, 0.0) for s in w.samples]
            print(f"  {role:<12}{values[0]:>10.0f}{values[-1]:>8.0f}{max(values):>8.0f}")
        end = w.samples[-1]
        busy = sorted(end.rows, key=lambda t: -end.table_mb.get(t, 0.0))
        tables = ", ".join(
            f"{t} {end.rows[t]} ({end.table_mb.get(t, 0):.2f} MB)" for t in busy[:12]
        )
        print(f"  tables (rows, size) at the end: {tables}")
    problems, apart = verdict([w for w in found if w.index >= warmup])
    print("\nreported apart: " + "; ".join(apart))
    if problems:
        print("\nsoak FAILED: " + "; ".join(problems))
        return False
    print(
        f"\nsoak PASSED: every service's RSS and the lag flat within {FLAT:.0%} after warm-up,"
        " every table bounded"
    )
    return True


def run(minutes: float, window_min: float, warmup: int, every_s: float, update_s: float) -> bool:
    prefix = f"soak_{uuid.uuid4().hex[:8]}_"
    workdir = Path(tempfile.mkdtemp(prefix="standby-soak-"))
    env = {
        **SHORT_RETENTION,
        "STANDBY_DATABASE_URL": POSTGRES_URL,
        "STANDBY_DATABASE_SCHEMA_PREFIX": prefix,
        "STANDBY_LOG_LEVEL": "WARNING",
    }
    with FeedServer() as feeds:
        url = feeds.put(FEED, gdacs_rss([]))
        system = fed_system(workdir, members_yaml(200), url, env)
        soak = Soak(system, feeds, prefix)
        system.start()
        try:
            console = httpx.Client(base_url=f"http://127.0.0.1:{system.console_port}", timeout=10)
            client = httpx.Client(timeout=10)
            soak.publish(new=True)
            deadline = time.monotonic() + 180
            while not soak.first_mail and time.monotonic() < deadline:
                soak.read_mails()
                time.sleep(0.2)
            if not soak.first_mail:
                print(f"no member mail within 180 s; see {workdir}/var/logs")
                return False
            started = time.time()
            next_event = next_update = next_sample = time.monotonic()
            next_event += every_s
            end = time.monotonic() + minutes * 60
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_event:
                    soak.publish(new=True)
                    next_event += every_s
                    next_update = now + update_s
                elif now >= next_update:
                    soak.publish(new=False)
                    next_update += update_s
                if now >= next_sample:
                    soak.sample()
                    next_sample += SAMPLE_S
                soak.read_mails()
                soak.respond(client, console)
                time.sleep(0.2)
            client.close()
            console.close()
        finally:
            system.stop(timeout=60, ctrl_c=True)
            asyncio.run(drop_schemas(prefix))
        (workdir / "soak.json").write_text(
            json.dumps([dataclasses.asdict(s) for s in soak.samples]), encoding="utf-8"
        )
        print(f"samples: {workdir / 'soak.json'}")
        found = windows(soak, started, window_min * 60)
        return report(soak, found, warmup, window_min)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--window", type=float, default=5, help="minutes per window")
    parser.add_argument("--warmup", type=int, default=1, help="windows not judged")
    parser.add_argument("--every", type=float, default=60, help="seconds between disasters")
    parser.add_argument("--update", type=float, default=10, help="seconds between feed updates")
    args = parser.parse_args(argv)
    if "postgresql" not in backends():
        return 2
    print(
        f"soak: {args.minutes:.0f} min on PostgreSQL, a disaster every {args.every:.0f} s to 200"
        f" contacts, feed updated every {args.update:.0f} s, {args.window:.0f}-minute windows,"
        f" {args.warmup} of warm-up; retention at minutes"
    )
    ok = run(args.minutes, args.window, args.warmup, args.every, args.update)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
