"""Headline: from the ingester fetching a new red event to the SMTP sink accepting member mail.

Runs the embedded system (`standby run`: Tansu, sink, four services as processes) against a
local feed, publishes new red earthquakes one at a time, and measures, per event, the time
from the HTTP response that carried it to the sink accepting the first and the last of 200
member mails and the duty page. The baseline is one raw produce→consume hop through the same
broker, measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

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


async def measure() -> None:
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
        }
        await run_system(settings, extra_env=env, on_ready=drive)

    hop_p50 = statistics.median(hop)
    print(f"{EVENTS} red earthquakes, {CONTACTS} member contacts each, embedded broker")
    print(f"{'from fetch to':<28}{'p50 ms':>10}{'p99 ms':>10}{'p50 / raw hop':>16}")
    for label, values in (
        ("first member mail accepted", first_ms),
        ("last member mail accepted", last_ms),
        ("duty page accepted", page_ms),
    ):
        print(
            f"{label:<28}{pct(values, 0.5):>10.0f}{pct(values, 0.99):>10.0f}"
            f"{pct(values, 0.5) / hop_p50:>15.1f}×"
        )
    print(f"{'baseline: one raw broker hop':<28}{hop_p50:>10.1f}{pct(hop, 0.99):>10.1f}")
    goal = pct(first_ms, 0.99) < 500
    print(f"goal p99 to first mail < 500 ms: {'met' if goal else 'NOT met'}")


def main() -> None:
    asyncio.run(measure())


if __name__ == "__main__":
    main()
