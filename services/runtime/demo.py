"""`standby demo`: the whole path from a feed to emails and a duty page, offline, in a minute."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from schemas import Activation, DeliveryKind, DeliveryStatus, Level
from services.common.settings import SERVICES, Settings
from services.runtime.demo_digest import choose_digest, send_digest_now
from services.runtime.demo_programme import run_programme
from services.runtime.demo_quake import quake_lines
from services.runtime.demo_response import plan_lines
from services.runtime.feed_server import FeedServer
from services.runtime.scenario import demo_events, gdacs_rss, usgs_summary
from services.runtime.supervisor import Supervisor, mail_files, run_system
from services.runtime.watch import Observed, follow

DEADLINE_S = 60.0
QUIET_S = 2.0


def scenario_complete(observed: Observed, expected_events: int) -> bool:
    """All feed events seen, every paging activation paged, and deliveries settled."""
    if len(observed.hazards) < expected_events:
        return False
    paging = [a for a in observed.activations if a.level >= Level.STANDBY]
    if not observed.activations or len(observed.pages) < len(paging):
        return False
    finals = observed.final_deliveries().values()
    pages_done = sum(
        1 for d in finals if d.kind is DeliveryKind.PAGE and d.status is not DeliveryStatus.PENDING
    )
    settled = time.monotonic() - observed.last_arrival > QUIET_S
    return pages_done >= len(observed.pages) and settled


def told_by_usgs(observed: Observed) -> bool:
    """An activation went out on USGS's report alone."""
    return any(told_by_usgs_alone(a) for a in observed.activations)


def told_by_usgs_alone(activation: Activation) -> bool:
    sources = activation.summary.sources
    return bool(sources) and all(s.startswith("usgs:") for s in sources)


def summary(
    observed: Observed, sup: Supervisor, feed_url: str, elapsed: float, *, complete: bool
) -> str:
    """What the demo saw; its last line says whether the scenario flowed within the deadline."""
    lines = [f"standby demo: scenario served at {feed_url}", ""]
    lines.append(f"feed events published on hazards.v1: {len(observed.hazards)}")
    for h in observed.hazards:
        lines.append(f"  - {h.key:<22} {h.alert_level or '-':<7} {h.title[:80]}")
    lines.append(f"activations on activations.v1: {len(observed.activations)}")
    for a in observed.activations:
        lines.append(
            f"  - {a.level.value.upper():<9} score {a.score:5.1f}  {a.summary.title[:70]}"
            f" [{','.join(a.summary.countries)}] from {', '.join(a.summary.sources)}"
        )
        lines.extend(f"      · {r.sentence}" for r in a.reasons)
    counts = observed.delivery_counts()
    lines.append("deliveries on deliveries.v1 (latest state per contact and channel):")
    for (kind, status), n in sorted(counts.items()):
        lines.append(f"  - {kind:<13} {status:<9} {n}")
    lines.append(f"duty pages on pages.v1: {len(observed.pages)}")
    for p in observed.pages:
        lines.append(f"  - step {p.step} → {p.target.name} ({p.level.value})")
    for a in observed.activations:
        sent = [
            d.produced_at
            for d in observed.final_deliveries().values()
            if d.activation_id == a.activation_id
            and d.kind is DeliveryKind.MEMBER_ALERT
            and d.status is DeliveryStatus.SENT
        ]
        if sent:
            lines.append(
                f"{a.level.value} alert: first member mail accepted"
                f" {(min(sent) - a.produced_at).total_seconds() * 1000:.0f} ms after the decision"
            )
    lines.append(f"mail folder: {sup.mail_dir} ({len(mail_files(sup.mail_dir))} .eml files)")
    lines.append(f"duty console: {sup.console_url}")
    # One verdict line, last: whoever waits for the summary reads the verdict with it.
    if complete:
        lines.append(f"done in {elapsed:.1f} s")
    else:
        lines.append(f"demo incomplete after {DEADLINE_S:.0f} s; see {sup.log_dir}")
    return "\n".join(lines)


async def drop_schemas(settings: Settings) -> None:
    """Start from empty PostgreSQL schemas, as the SQLite files start from an empty folder."""
    if settings.database_schema_for("response") is None:
        return
    from services.common.db import Database

    for service in SERVICES:
        db = Database(
            settings.database_url_for(service),
            service,
            schema=settings.database_schema_for(service),
        )
        try:
            await db.drop_schema()
        finally:
            await db.dispose()


async def run_demo(settings: Settings, *, keep_running: bool = False) -> int:
    """Run the scenario; return 0 when it completed within the deadline."""
    demo_settings = settings.model_copy(
        update={
            "var_dir": settings.var_dir / "demo",
            # On PostgreSQL the demo keeps its tables apart too, in `<prefix>demo_<service>`.
            "database_schema_prefix": f"{settings.database_schema_prefix}demo_",
        }
    )
    shutil.rmtree(demo_settings.var_dir, ignore_errors=True)
    await drop_schemas(demo_settings)
    await choose_digest(demo_settings)
    events = demo_events(datetime.now(UTC))
    quake = events[0]
    outcome = {"code": 1}
    with FeedServer() as feeds:
        # USGS tells first (an automatic red PAGER estimate 12 minutes after the quake: activate);
        # GDACS's item of the same quake is served only once that alert is out, and joins the
        # same incident at the same level: no second alert (decision 0307).
        url = feeds.put("/xml/rss.xml", gdacs_rss(events[1:]))
        usgs_url = feeds.put("/usgs/4.5_hour.geojson", usgs_summary([quake], pager="red"))
        env = _demo_env(url, usgs_url)

        async def watch(sup: Supervisor) -> None:
            started = time.monotonic()
            observed = Observed()
            stop = asyncio.Event()
            follower = asyncio.create_task(follow(sup.bootstrap, observed, stop))
            try:
                gdacs_joined = False
                while time.monotonic() - started < DEADLINE_S:
                    if not gdacs_joined and told_by_usgs(observed):
                        feeds.put("/xml/rss.xml", gdacs_rss(events))
                        gdacs_joined = True
                    if scenario_complete(observed, len(events) + 1):
                        outcome["code"] = 0
                        break
                    if follower.done():
                        follower.result()
                    await asyncio.sleep(0.2)
                elapsed = time.monotonic() - started
                complete = not outcome["code"]
                print(summary(observed, sup, url, elapsed, complete=complete), flush=True)
                told = [a for a in observed.activations if told_by_usgs_alone(a)]
                if told:
                    for line in await quake_lines(demo_settings, told[0]):
                        print(line, flush=True)
                if complete:
                    await _past_the_alert(sup, observed, demo_settings, settings.members_file)
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await follower
            if keep_running:
                await sup.stopping.wait()

        await run_system(demo_settings, extra_env=env, on_ready=watch)
    return outcome["code"]


def _demo_env(url: str, usgs_url: str) -> dict[str, str]:
    """The services' settings for the demo: its local feeds, polled every two seconds."""
    return {
        "STANDBY_INGESTER__GDACS_RSS_URL": url,
        "STANDBY_INGESTER__GDACS_RSS_INTERVAL_S": "2",
        "STANDBY_INGESTER__USGS_URL": usgs_url,
        "STANDBY_INGESTER__USGS_INTERVAL_S": "2",
        "STANDBY_INGESTER__USGS_SAFETY_NET_URL": "",
        # The observer's digest is shown the moment its hour is moved to now.
        "STANDBY_NOTIFIER__DIGEST_INTERVAL_S": "0.5",
        "STANDBY_INGESTER__USGS_FDSN_URL": "",
        "STANDBY_INGESTER__USGS_DETAIL_FETCHES_PER_POLL": "0",
    }


async def _past_the_alert(
    sup: Supervisor, observed: Observed, demo_settings: Settings, members_file: Path
) -> None:
    """Carry the response past the alert and print it: roll-call, answers, programme, digest."""
    print("roll-call (response service), the plans matched to each incident:", flush=True)
    for line in plan_lines(observed.activations, members_file):
        print(line, flush=True)
    print("the response to the incident that asked the most organisations:", flush=True)
    for line in await run_programme(sup.mail_dir, demo_settings, sup.console_url, members_file):
        print(line, flush=True)
    for line in await send_digest_now(demo_settings, sup.mail_dir):
        print(line, flush=True)
