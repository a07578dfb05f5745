"""The USGS source end to end in the ingester: the real poller, publisher and SQLite outbox,
with the public internet replaced by an httpx transport that answers real captures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from schemas.hazards import HazardEvent, PagerLevel
from services.common.outbox import outbox
from services.common.service import ServiceContext
from services.common.settings import IngesterSettings
from services.ingester.fetch import Fetcher
from services.ingester.main import fdsn_catch_up, source_specs
from services.ingester.poller import Backoff, Poller, SourceSpec
from services.ingester.publisher import EventPublisher
from services.ingester.usgs_detail import DetailReader
from tests.conftest import REAL_CAPTURES

USGS = REAL_CAPTURES / "usgs"
SUMMARY = "https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_hour.geojson"
SIGNIFICANT = (
    USGS / "usgs_summary_significant-month_2023-10-11_NaseemaO-Leaflet-Earthquakes-dashboard.json"
)
FDSN = USGS / "usgs_fdsn_maxmag0.1-negative-mags_2017-01-01to11_usgs-libcomcat.json"
TIBET = USGS / "usgs_detail_us6000pi9w-Tibet-M7.1-red_2025-01-07_IFRCGo-pystac-monty.json"
ALERTS = USGS / "usgs_pager-alerts_us2000h8ty-v1541539345392_2018-11-06_usgs-libcomcat.json"


class Internet:
    """Answers by URL, and remembers every URL asked."""

    def __init__(self, routes: dict[str, Callable[[], httpx.Response]]) -> None:
        self.routes = routes
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.asked.append(url)
        for prefix, answer in self.routes.items():
            if url.startswith(prefix):
                return answer()
        return httpx.Response(404)

    def fetcher(self) -> Fetcher:
        return Fetcher(
            timeout_s=5,
            max_bytes=20 * 1024 * 1024,
            user_agent="t",
            transport=httpx.MockTransport(self),
        )


async def outbox_events(ctx: ServiceContext) -> list[HazardEvent]:
    async with ctx.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.id))).scalars()
        return [HazardEvent.model_validate_json(p) for p in rows]


def ok(path: Path) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(200, content=path.read_bytes())


def test_the_usgs_feeds_are_configured_with_a_catch_up_query() -> None:
    specs = {spec.name: spec for spec in source_specs(IngesterSettings())}
    assert specs["usgs"].interval_s == 60 and specs["usgs-safety-net"].interval_s == 300
    assert specs["usgs"].url.endswith("4.5_hour.geojson")
    assert specs["usgs"].catch_up is not None
    url = specs["usgs"].catch_up(datetime.fromisoformat("2026-12-07T03:00:00+00:00"))
    query = parse_qs(urlsplit(url).query)
    assert query["updatedafter"] == ["2026-12-07T03:00:00"] and query["minmagnitude"] == ["4.5"]
    off = source_specs(IngesterSettings(usgs_url="", usgs_safety_net_url=None))
    assert not any(spec.name.startswith("usgs") for spec in off)


async def test_after_a_failed_poll_the_fdsn_query_catches_up_from_the_last_good_poll(
    ctx: ServiceContext,
) -> None:
    answers = [ok(SIGNIFICANT), lambda: httpx.Response(503), ok(SIGNIFICANT)]
    internet = Internet(
        {
            SUMMARY: lambda: answers.pop(0)(),
            "https://earthquake.usgs.gov/fdsnws/": ok(FDSN),
        }
    )
    catch_up = fdsn_catch_up(IngesterSettings())
    spec = SourceSpec("usgs", SUMMARY, interval_s=60, catch_up=catch_up)
    poller = Poller(
        spec, internet.fetcher(), EventPublisher(ctx), max_bytes=20 * 1024 * 1024,
        backoff=Backoff(0.01, 0.05),
    )  # fmt: skip
    first = await poller.poll_once()
    assert (first.outcome, first.published, first.caught_up) == ("ok", 18, None)
    good_at = poller.last_success
    assert (await poller.poll_once()).outcome == "failed"
    third = await poller.poll_once()
    assert third.outcome == "not_modified" and third.caught_up == 109
    (fdsn_url,) = [u for u in internet.asked if "fdsnws" in u]
    assert good_at is not None
    assert parse_qs(urlsplit(fdsn_url).query)["updatedafter"] == [
        good_at.strftime("%Y-%m-%dT%H:%M:%S")
    ]
    assert len(await outbox_events(ctx)) == 18 + 109
    # No gap since: no further catch-up.
    assert (await poller.poll_once()).caught_up is None


async def test_a_changed_preferred_id_is_the_same_event_in_the_outbox(ctx: ServiceContext) -> None:
    publisher = EventPublisher(ctx)
    doc = json.loads(SIGNIFICANT.read_bytes())
    multi = next(f for f in doc["features"] if f["properties"]["ids"].count(",") > 3)
    first_id = multi["id"]
    other = next(i for i in multi["properties"]["ids"].strip(",").split(",") if i != first_id)
    from services.ingester.sources import read_document

    def as_document(feature: dict[str, object]) -> list[HazardEvent]:
        body = json.dumps({**doc, "features": [feature]}).encode()
        return read_document(body).events

    automatic = {**multi, "properties": dict(multi["properties"], status="automatic")}
    assert await publisher.publish_new(as_document(automatic)) == 1
    props = dict(
        multi["properties"], updated=multi["properties"]["updated"] + 60_000, status="reviewed"
    )
    moved = {**multi, "id": other, "properties": props}
    assert await publisher.publish_new(as_document(moved)) == 1
    events = await outbox_events(ctx)
    assert [e.key for e in events] == [f"usgs:{first_id}"] * 2
    assert events[1].extras["preferred_id"] == other and events[1].status == "reviewed"


async def test_pager_detail_is_fetched_only_when_products_or_the_alert_change() -> None:
    tibet = json.loads(TIBET.read_bytes())
    internet = Internet(
        {
            "https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/": ok(TIBET),
            "https://earthquake.usgs.gov/realtime/product/losspager/": ok(ALERTS),
        }
    )
    reader = DetailReader(internet.fetcher(), per_poll=5)
    summary = {
        "type": "FeatureCollection",
        "metadata": {"url": SUMMARY},
        "features": [
            {
                **{k: v for k, v in tibet.items() if k != "properties"},
                "properties": {
                    **{k: v for k, v in tibet["properties"].items() if k != "products"},
                    "detail": "https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/us6000pi9w.geojson",
                },
            }
        ],
    }
    from services.ingester.sources import read_document

    (event,) = read_document(json.dumps(summary).encode()).events
    assert event.pager is not None and event.pager.fatality_alert is None
    (enriched,) = await reader([event])
    assert enriched.pager is not None
    assert (enriched.pager.fatality_alert, enriched.pager.economic_alert) == (
        PagerLevel.YELLOW,
        PagerLevel.ORANGE,
    )
    assert enriched.pager.alert is PagerLevel.RED and enriched.pager.reviewed is False
    assert len(internet.asked) == 2  # the detail, then its alerts.json
    # A felt report moves `updated`: nothing is fetched, the levels stay on the event.
    later = event.model_copy(update={"version": str(int(event.version) + 1)})
    (again,) = await reader([later])
    assert len(internet.asked) == 2 and again.pager == enriched.pager
    # PAGER's level changes: fetched again.
    assert event.pager is not None
    orange = later.model_copy(
        update={"pager": event.pager.model_copy(update={"alert": PagerLevel.ORANGE})}
    )
    await reader([orange])
    assert len(internet.asked) == 4


async def test_a_restarted_ingester_does_not_fetch_an_unchanged_detail_again(
    ctx: ServiceContext,
) -> None:
    internet = Internet(
        {
            "https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/": ok(TIBET),
            "https://earthquake.usgs.gov/realtime/product/losspager/": ok(ALERTS),
        }
    )
    (event,) = tibet_in_a_summary()
    before = DetailReader(internet.fetcher(), per_poll=5, db=ctx.db)
    (enriched,) = await before([event])
    assert len(internet.asked) == 2
    # A new process: nothing in memory, the same database.
    after = DetailReader(internet.fetcher(), per_poll=5, db=ctx.db)
    later = event.model_copy(update={"version": str(int(event.version) + 1)})
    (again,) = await after([later])
    assert len(internet.asked) == 2 and again.pager == enriched.pager
    assert again.pager is not None and again.pager.fatality_alert is PagerLevel.YELLOW
    # What prompts a fetch still does after the restart.
    assert event.pager is not None
    orange = later.model_copy(
        update={"pager": event.pager.model_copy(update={"alert": PagerLevel.ORANGE})}
    )
    await after([orange])
    assert len(internet.asked) == 4


def tibet_in_a_summary() -> list[HazardEvent]:
    """The Tibet quake as a summary feed lists it: its detail's URL, no products."""
    from services.ingester.sources import read_document

    tibet = json.loads(TIBET.read_bytes())
    feature = {
        **{k: v for k, v in tibet.items() if k != "properties"},
        "properties": {
            **{k: v for k, v in tibet["properties"].items() if k != "products"},
            "detail": "https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/us6000pi9w.geojson",
        },
    }
    summary = {"type": "FeatureCollection", "metadata": {"url": SUMMARY}, "features": [feature]}
    return read_document(json.dumps(summary).encode()).events


async def test_only_usgs_own_deleted_status_is_a_retraction_never_a_failed_or_silent_feed(
    ctx: ServiceContext,
) -> None:
    from tests.withdrawals import deleted_herat, herat, summary_with

    answers = [
        lambda: httpx.Response(200, content=summary_with(herat())),
        lambda: httpx.Response(503),  # a failed poll
        lambda: httpx.Response(200, content=b'{"type": "FeatureCollection", "feat'),  # cut off
        lambda: httpx.Response(200, content=summary_with()),  # the hour moved on: not listed
        lambda: httpx.Response(200, content=summary_with(deleted_herat())),
    ]
    internet = Internet({SUMMARY: lambda: answers.pop(0)()})
    spec = SourceSpec("usgs", SUMMARY, interval_s=60)
    poller = Poller(
        spec, internet.fetcher(), EventPublisher(ctx), max_bytes=20 * 1024 * 1024,
        backoff=Backoff(0.01, 0.05),
    )  # fmt: skip
    reports = [await poller.poll_once() for _ in range(5)]
    assert [(r.outcome, r.published) for r in reports] == [
        ("ok", 1),
        ("failed", 0),
        ("failed", 0),
        ("ok", 0),
        ("ok", 1),
    ]
    events = await outbox_events(ctx)
    assert [(e.key, e.status) for e in events] == [
        ("usgs:us6000len8", "reviewed"),
        ("usgs:us6000len8", "deleted"),
    ]


async def test_usgs_is_fetched_conditionally_size_capped_and_backed_off_like_gdacs(
    ctx: ServiceContext,
) -> None:
    from tests.integration.ingester.feed_server import Reply, feed_server

    day = USGS / "usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json"
    cap = 100 * 1024  # the significant month (14 KB) fits, the day's summary (215 KB) does not
    with feed_server() as server:
        poller = Poller(
            SourceSpec("usgs", server.url, interval_s=60),
            Fetcher(timeout_s=1.0, max_bytes=cap, user_agent="standby-tests"),
            EventPublisher(ctx), max_bytes=cap, backoff=Backoff(initial_s=1, max_s=30),
        )  # fmt: skip
        server.serve(SIGNIFICANT.read_bytes(), etag='"usgs-1"')
        assert (await poller.poll_once()).published == 18
        report = await poller.poll_once()
        assert report.outcome == "not_modified"
        assert server.requests[-1].get("If-None-Match") == '"usgs-1"'
        server.script = [
            Reply(body=day.read_bytes()),
            Reply(status=429, headers={"Retry-After": "120"}),
            Reply(behaviour="hang"),
        ]
        reports = [await poller.poll_once() for _ in range(3)]
        too_large, throttled, hung = reports
        server.release.set()
        assert (too_large.outcome, too_large.reason) == ("failed", "too_large")
        assert (throttled.reason, throttled.retry_after) == ("rate_limited", 120)
        assert hung.reason == "timeout"
        # The pauses run() takes after each: jittered and growing, Retry-After up to the ceiling.
        first, second, third = [poller.backoff.after_failure(r.retry_after) for r in reports]
        assert 0.5 <= first <= 1 and second == 30 and 2 <= third <= 4
        assert (await poller.poll_once()).outcome == "not_modified"
    assert len(await outbox_events(ctx)) == 18


async def test_a_pause_of_three_intervals_is_a_gap_and_a_failed_catch_up_is_asked_again(
    ctx: ServiceContext,
) -> None:
    from datetime import timedelta

    fdsn = [lambda: httpx.Response(503), ok(FDSN)]
    internet = Internet(
        {SUMMARY: ok(SIGNIFICANT), "https://earthquake.usgs.gov/fdsnws/": lambda: fdsn.pop(0)()}
    )
    spec = SourceSpec("usgs", SUMMARY, interval_s=60, catch_up=fdsn_catch_up(IngesterSettings()))
    poller = Poller(
        spec, internet.fetcher(), EventPublisher(ctx), max_bytes=20 * 1024 * 1024,
        backoff=Backoff(0.01, 0.05),
    )  # fmt: skip
    assert (await poller.poll_once()).caught_up is None
    # The host slept: the last good poll was four intervals ago, though no poll failed.
    assert poller.last_success is not None
    slept = poller.last_success - timedelta(seconds=4 * 60)
    poller.last_success = slept
    failed = await poller.poll_once()
    assert (failed.outcome, failed.reason) == ("failed", "http_error")
    again = await poller.poll_once()
    assert again.caught_up == 109
    asked = [parse_qs(urlsplit(u).query)["updatedafter"] for u in internet.asked if "fdsnws" in u]
    assert asked == [[slept.strftime("%Y-%m-%dT%H:%M:%S")]] * 2
