"""Headline: from the ingester fetching a new red event to the SMTP sink accepting member mail.

Runs the embedded system (`standby run`: Tansu, sink, four services as processes) against a
local feed, publishes new red earthquakes one at a time, and measures, per event, the time
from the HTTP response that carried it to the sink accepting the first and the last of 200
member mails and the duty page. The baseline is one raw produce→consume hop through the same
broker, measured in the same run. It runs on SQLite and on PostgreSQL (the production path),
one after the other, and prints them side by side with the goals judged on each.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks.support import BACKENDS, backends, on_backend
from services.common.settings import Settings
from services.runtime.embedded import free_port
from services.runtime.feed_server import FeedServer
from services.runtime.scenario import gdacs_rss, separate_red_earthquakes
from services.runtime.supervisor import Supervisor, run_system

CONTACTS = 200
EVENTS = 20
WARMUP = 1
PAGE_DOMAIN = "@duty.example.org"
FEED = "/xml/rss.xml"


def members_yaml(n: int) -> str:
    lines = ["organisations:"]
    per_org = 10
    for o in range(n // per_org):
        lines += [
            f"  - id: org-{o:03d}",
            f"    name_ja: 団体{o:03d}",
            f"    name_en: Organisation {o:03d}",
            "    kind: ngo",
            "    subscription: {min_level: standby}",
            "    contacts:",
        ]
        for c in range(per_org):
            lang = "ja" if c % 2 else "en"
            lines.append(
                f"      - {{id: c{c:02d}, name: Contact {o}-{c}, language: {lang},"
                f" email: c{c:02d}@org{o:03d}.example.org}}"
            )
    return "\n".join(lines) + "\n"


def accepted_at(path: Path) -> float:
    return int(path.name.split("-", 1)[0]) / 1e9


def recipient(path: Path) -> str:
    with path.open("rb") as fh:
        return parseaddr(str(BytesHeaderParser().parse(fh).get("To", "")))[1]


async def raw_hop_ms(bootstrap: str, n: int = 50) -> list[float]:
    """Produce→consume latency of a bare message through the same broker."""
    topic = "acks.v1.dlq"  # an existing, quiet topic
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=20
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    await consumer.seek_to_end()
    out = []
    try:
        for _ in range(n):
            sent = time.perf_counter()
            await producer.send_and_wait(topic, b"x" * 512)
            while not await consumer.getmany(timeout_ms=500):
                pass
            out.append((time.perf_counter() - sent) * 1000)
    finally:
        await producer.stop()
        await consumer.stop()
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Figures:
    """Milliseconds from fetch to each mark, per event, and the raw hops of the same run."""

    first: list[float]
    last: list[float]
    page: list[float]
    hop: list[float]


async def measure(backend: str) -> Figures:
    async with on_backend(backend) as database:
        return await _measure(database)


async def _measure(database: dict[str, Any]) -> Figures:
    tmp = Path(tempfile.mkdtemp(prefix="standby-bench-"))
    members = tmp / "members.yaml"
    members.write_text(members_yaml(CONTACTS), encoding="utf-8")
    settings = Settings(
        var_dir=tmp / "var",
        members_file=members,
        log_format="json",
        log_level="WARNING",
        # Every port free, so a run beside another standby measures instead of crash-looping.
        notifier={
            "smtp": {"port": free_port()},
            "metrics_port": free_port(),
            "preferences_port": free_port(),
        },
        ingester={"metrics_port": free_port()},
        triage={"metrics_port": free_port()},
        duty={"metrics_port": free_port(), "console_port": free_port()},
        response={"metrics_port": free_port(), "web_port": free_port()},
        runtime={"health_port": free_port()},
        **database,
    )
    first_ms: list[float] = []
    last_ms: list[float] = []
    page_ms: list[float] = []
    hop: list[float] = []
    base = datetime.now(UTC)
    with FeedServer() as feeds:
        feeds.put(FEED, gdacs_rss([]))

        async def drive(sup: Supervisor) -> None:
            seen: set[Path] = set()
            quakes = separate_red_earthquakes(9_300_000, WARMUP + EVENTS, base)
            for i, quake in enumerate(quakes):
                feeds.put(FEED, gdacs_rss([quake]))
                key = feeds.etag(FEED)
                deadline = time.monotonic() + 60
                fresh: list[Path] = []
                while time.monotonic() < deadline:
                    fresh = [p for p in sup.mail_dir.glob("*.eml") if p not in seen]
                    if len(fresh) >= CONTACTS + 1:
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise RuntimeError(
                        f"event {i}: {len(fresh)} mails after 60 s; see {sup.log_dir}"
                    )
                await asyncio.sleep(0.3)
                fresh = [p for p in sup.mail_dir.glob("*.eml") if p not in seen]
                seen.update(fresh)
                if i < WARMUP:
                    continue
                fetched = feeds.first_served[key]
                pages = [p for p in fresh if recipient(p).endswith(PAGE_DOMAIN)]
                mails = sorted(accepted_at(p) for p in fresh if p not in pages)
                first_ms.append((mails[0] - fetched) * 1000)
                last_ms.append((mails[-1] - fetched) * 1000)
                page_ms.append((min(accepted_at(p) for p in pages) - fetched) * 1000)
            hop.extend(await raw_hop_ms(sup.bootstrap))

        env = {
            "STANDBY_INGESTER__GDACS_RSS_URL": feeds.base_url + FEED,
            "STANDBY_INGESTER__GDACS_RSS_INTERVAL_S": "0.1",
            # Only the local feed: no poll of the public USGS feeds beside the measured path.
            "STANDBY_INGESTER__USGS_URL": "",
            "STANDBY_INGESTER__USGS_SAFETY_NET_URL": "",
        }
        await run_system(settings, extra_env=env, on_ready=drive)

    return Figures(first_ms, last_ms, page_ms, hop)


GOALS = (
    (
        "first member mail p99 ≤ 10× raw hop p99",
        lambda f: pct(f.first, 0.99) <= 10 * pct(f.hop, 0.99),
    ),
    (f"last of {CONTACTS} p99 ≤ 1.5 s", lambda f: pct(f.last, 0.99) <= 1500),
    ("duty page p99 ≤ first member mail p99", lambda f: pct(f.page, 0.99) <= pct(f.first, 0.99)),
)


def report(results: dict[str, Figures]) -> None:
    """Print the backends side by side: p50 and p99 of each mark, then each goal on each."""
    names = list(results)
    print(f"{EVENTS} red earthquakes, {CONTACTS} member contacts each, embedded broker")
    head = "".join(f"{BACKENDS[n] + ' p50':>16}{'p99':>8}{'p99/hop':>9}" for n in names)
    print(f"{'from fetch to (ms)':<30}{head}")
    for label, pick in (
        ("first member mail accepted", lambda f: f.first),
        (f"last of {CONTACTS} member mails", lambda f: f.last),
        ("duty page accepted", lambda f: f.page),
        ("baseline: one raw broker hop", lambda f: f.hop),
    ):
        cells = "".join(
            f"{pct(pick(f), 0.5):>16.1f}{pct(pick(f), 0.99):>8.1f}"
            f"{pct(pick(f), 0.99) / pct(f.hop, 0.99):>8.1f}×"
            for f in results.values()
        )
        print(f"{label:<30}{cells}")
    for goal, met in GOALS:
        verdicts = ", ".join(
            f"{BACKENDS[n]} {'met' if met(f) else 'NOT met'}" for n, f in results.items()
        )
        print(f"goal {goal}: {verdicts}")


def main() -> None:
    report({backend: asyncio.run(measure(backend)) for backend in backends()})


if __name__ == "__main__":
    main()
