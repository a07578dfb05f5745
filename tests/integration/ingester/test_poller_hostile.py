"""The real poller against a local HTTP server: hostile documents and misbehaving servers.

Each bad answer is counted under its reason, the poller carries on, and a good document
served right after is still published (to the real outbox, on a real SQLite database).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from schemas.hazards import HazardEvent
from services.common.outbox import outbox
from services.common.service import ServiceContext
from services.ingester.fetch import Fetcher
from services.ingester.poller import Backoff, Poller, SourceSpec
from services.ingester.publisher import EventPublisher
from tests.conftest import REAL_CAPTURES
from tests.integration.ingester.feed_server import FeedServer, Reply, feed_server
from tests.unit.ingester.corpus import CAP, Hostile, good_rss, hostile_corpus

SOURCE = "gdacs"
CORPUS = hostile_corpus()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": SOURCE, **labels}) or 0.0


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def make_poller(ctx: ServiceContext, url: str, *, timeout_s: float = 2.0) -> Poller:
    return Poller(
        SourceSpec(SOURCE, url, interval_s=0.05),
        Fetcher(timeout_s=timeout_s, max_bytes=CAP, user_agent="standby-tests"),
        EventPublisher(ctx),
        max_bytes=CAP,
        backoff=Backoff(initial_s=0.01, max_s=0.05),
    )


async def outbox_events(ctx: ServiceContext) -> list[HazardEvent]:
    async with ctx.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.id))).scalars()
        return [HazardEvent.model_validate_json(p) for p in rows]


class GoodDocuments:
    """A fresh red earthquake each time, so every good document is news."""

    def __init__(self) -> None:
        self.next_id = 50_000_000

    def __call__(self) -> tuple[str, bytes]:
        self.next_id += 1
        return f"EQ:{self.next_id}", good_rss(self.next_id)


async def test_every_hostile_document_is_counted_and_the_next_good_one_still_published(
    ctx: ServiceContext, server: FeedServer
) -> None:
    poller = make_poller(ctx, server.url)
    good = GoodDocuments()
    expected_good: list[str] = []
    for doc in CORPUS:
        await _serve_hostile(poller, server, doc)
        source_id, body = good()
        server.serve(body)
        report = await poller.poll_once()
        assert (report.outcome, report.published) == ("ok", 1), doc.name
        expected_good.append(source_id)
    published = [e.source_id for e in await outbox_events(ctx)]
    assert set(expected_good) <= set(published)
    assert len(published) == len(set(published)), "nothing was published twice"


async def _serve_hostile(poller: Poller, server: FeedServer, doc: Hostile) -> None:
    server.serve(doc.body, headers={"Content-Type": doc.content_type})
    reason = doc.refused
    failures = sample("standby_source_failures_total", reason=reason) if reason else 0.0
    rejected = sample("standby_items_rejected_total", reason=doc.item) if doc.item else 0.0
    dropped = sample("standby_fields_dropped_total", field=doc.dropped) if doc.dropped else 0.0
    report = await poller.poll_once()
    if reason is not None:
        assert (report.outcome, report.reason) == ("failed", reason), (doc.name, report.detail)
        assert sample("standby_source_failures_total", reason=reason) == failures + 1
        return
    assert report.outcome == "ok", (doc.name, report.detail)
    if doc.item is not None:
        assert report.rejected[doc.item] == 1, doc.name
        assert sample("standby_items_rejected_total", reason=doc.item) == rejected + 1
    if doc.dropped is not None:
        assert sample("standby_fields_dropped_total", field=doc.dropped) >= dropped + 1
        assert report.published == 1, doc.name


def _bomb() -> bytes:
    return b"<rss>" + b" " * (CAP * 4) + b"</rss>"


MISBEHAVIOUR = [
    ("http-429", Reply(status=429, headers={"Retry-After": "120"}), "rate_limited"),
    ("http-429-no-retry-after", Reply(status=429), "rate_limited"),
    ("http-500", Reply(status=500, body=b"<html>boom</html>"), "http_error"),
    ("http-502", Reply(status=502), "http_error"),
    ("http-503", Reply(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), "http_error"),
    ("http-404", Reply(status=404), "http_error"),
    ("http-403", Reply(status=403), "http_error"),
    ("connection-reset", Reply(behaviour="reset"), "connection"),
    ("never-answers", Reply(behaviour="hang"), "timeout"),
    ("trickles-forever", Reply(body=good_rss(1), behaviour="trickle"), "timeout"),
    ("body-shorter-than-declared", Reply(body=good_rss(2), behaviour="lying-length"), "connection"),
    ("declared-over-cap", Reply(body=b"<rss/>", headers={"Content-Length": str(CAP * 2)}), "too_large"),
    ("gzip-bomb", Reply(body=_bomb(), behaviour="gzip"), "too_large"),
    ("not-really-gzip", Reply(body=good_rss(3), headers={"Content-Encoding": "gzip"}), "malformed"),
    ("redirect-loop", Reply(status=302, headers={"Location": "/rss.xml"}), "connection"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "reply", "reason"), MISBEHAVIOUR, ids=[m[0] for m in MISBEHAVIOUR]
)
async def test_a_misbehaving_server_is_counted_and_a_good_document_right_after_is_published(
    ctx: ServiceContext, server: FeedServer, name: str, reply: Reply, reason: str
) -> None:
    # A short timeout only where the timeout is what is tested: on a loaded machine a reset
    # can take over a second to be seen, and must not be taken for a timeout.
    poller = make_poller(ctx, server.url, timeout_s=1.0 if reason == "timeout" else 5.0)
    before = sample("standby_source_failures_total", reason=reason)
    server.reply = reply
    report = await poller.poll_once()
    assert (report.outcome, report.reason) == ("failed", reason), report.detail
    assert sample("standby_source_failures_total", reason=reason) == before + 1
    if name == "http-429":
        assert report.retry_after == 120
        assert poller.backoff.after_failure(report.retry_after) == poller.backoff.max_s
    server.release.set()  # let a hung handler go
    server.serve(good_rss(60_000_000 + MISBEHAVIOUR.index((name, reply, reason))))
    report = await poller.poll_once()
    assert (report.outcome, report.published) == ("ok", 1)


async def test_an_unreachable_server_is_a_connection_failure(ctx: ServiceContext) -> None:
    with feed_server() as gone:
        url = gone.url
    report = await make_poller(ctx, url).poll_once()
    assert (report.outcome, report.reason) == ("failed", "connection")


async def test_the_loop_outlives_a_run_of_failures_and_then_publishes(
    ctx: ServiceContext, server: FeedServer
) -> None:
    server.script = [
        Reply(status=503),
        Reply(behaviour="reset"),
        Reply(body=b"<html>maintenance</html>"),
        Reply(body=b'<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><rss>&a;</rss>'),
    ]
    server.serve(good_rss(70_000_001))
    poller = make_poller(ctx, server.url)
    task = asyncio.create_task(poller.run())
    try:
        async with asyncio.timeout(10):
            while not any(e.source_id == "EQ:70000001" for e in await outbox_events(ctx)):
                assert not task.done()
                await asyncio.sleep(0.02)
        assert poller.backoff.failures == 0
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_an_unchanged_document_is_fetched_conditionally_and_publishes_nothing(
    ctx: ServiceContext, server: FeedServer
) -> None:
    server.serve(good_rss(80_000_001), etag='"v1"')
    poller = make_poller(ctx, server.url)
    assert (await poller.poll_once()).published == 1
    not_modified = sample("standby_source_polls_total", outcome="not_modified")
    report = await poller.poll_once()
    assert report.outcome == "not_modified"
    assert server.requests[-1].get("If-None-Match") == '"v1"'
    assert sample("standby_source_polls_total", outcome="not_modified") == not_modified + 1
    # A server that ignores validators and sends the same bytes: just as unchanged.
    server.serve(good_rss(80_000_001))
    assert (await poller.poll_once()).outcome == "not_modified"
    # Different bytes, same event: read in full, and not news.
    server.serve(good_rss(80_000_001) + b"\n")
    report = await poller.poll_once()
    assert (report.outcome, report.published) == ("ok", 0)


async def test_a_document_whose_storage_failed_is_read_again_in_full(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from sqlalchemy.exc import OperationalError

    class FailingOnce(EventPublisher):
        failed = False

        async def publish_new(self, events: object) -> int:  # type: ignore[override]
            if not self.failed:
                self.failed = True
                raise OperationalError("INSERT", {}, Exception("database is locked"))
            return await super().publish_new(events)  # type: ignore[arg-type]

    server.serve(good_rss(90_000_001), etag='"v1"')
    poller = make_poller(ctx, server.url)
    poller.sink = FailingOnce(ctx)
    first = await poller.poll_once()
    assert (first.outcome, first.reason) == ("failed", "storage")
    second = await poller.poll_once()
    assert "If-None-Match" not in server.requests[-1]
    assert (second.outcome, second.published) == ("ok", 1)


async def test_gzip_encoded_feeds_are_read(ctx: ServiceContext, server: FeedServer) -> None:
    server.serve(good_rss(95_000_001), behaviour="gzip")
    report = await make_poller(ctx, server.url).poll_once()
    assert (report.outcome, report.published) == ("ok", 1)


async def test_reliefweb_pages_are_followed_while_they_hold_news(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from tests.unit.ingester.corpus import reliefweb, reliefweb_item

    def page(first: int, next_url: str | None) -> bytes:
        body = json.loads(reliefweb(*(reliefweb_item(first + i) for i in range(3))))
        if next_url:
            body["links"] = {"next": {"href": next_url}}
        return json.dumps(body).encode()

    pages = [page(1, f"{server.url}?offset=3"), page(4, f"{server.url}?offset=6"), page(7, None)]
    server.script = [Reply(body=p) for p in pages]
    poller = make_poller(ctx, server.url)
    poller.spec = SourceSpec("reliefweb", server.url, interval_s=60, max_pages=2)
    report = await poller.poll_once()
    assert (report.documents, report.published) == (2, 6), "stops at max_pages"
    assert server.requests[1] and len(server.requests) == 2
    # Nothing new on the first page (other bytes, same disasters): older pages are not fetched.
    server.script = [Reply(body=pages[0] + b"\n")]
    report = await poller.poll_once()
    assert (report.documents, report.published) == (1, 0)
    assert len(server.requests) == 3


async def test_every_failure_is_logged_with_its_reason(
    ctx: ServiceContext, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.common.logs import configure_logging

    configure_logging("ingester", fmt="json")
    poller = make_poller(ctx, server.url)
    for reply in (Reply(status=503), Reply(body=b"<html>oops</html>"), Reply(body=b"")):
        server.reply = reply
        await poller.poll_once()
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    failures = [line for line in lines if line["event"] == "source_poll_failed"]
    assert [(f["source"], f["reason"]) for f in failures] == [
        (SOURCE, "http_error"),
        (SOURCE, "not_a_feed"),
        (SOURCE, "empty"),
    ]
    assert all(f["detail"] for f in failures)


def reports_page(*titles: str) -> bytes:
    return json.dumps(
        {
            "totalCount": len(titles),
            "data": [
                {
                    "id": str(i),
                    "fields": {
                        "title": title,
                        "url_alias": f"https://reliefweb.int/report/chad/{i}",
                        "date": {"created": "2026-11-21T08:00:00+00:00"},
                        "source": [{"shortname": "OCHA"}],
                    },
                }
                for i, title in enumerate(titles)
            ]
            + [{"id": "bad", "fields": {"title": None}}],
        }
    ).encode()


def reliefweb_poller(ctx: ServiceContext, server: FeedServer) -> Poller:
    from services.ingester.situation_reports import SituationReports

    poller = make_poller(ctx, server.url)
    poller.spec = SourceSpec("reliefweb", server.url, interval_s=60)
    poller.enrich = SituationReports(
        fetcher=poller.fetcher,
        sink=poller.sink,
        url=server.url.replace("rss.xml", "v2/reports"),
        appname="standby-tests",
        per_disaster=2,
    )
    return poller


async def test_a_newly_alerted_reliefweb_disaster_carries_its_latest_situation_reports(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from tests.unit.ingester.corpus import reliefweb, reliefweb_item

    page = reliefweb(reliefweb_item(501, status="alert"), reliefweb_item(502, status="past"))
    server.script = [Reply(body=page), Reply(body=reports_page("Flash Update 1", "Sitrep 2"))]
    report = await reliefweb_poller(ctx, server).poll_once()
    assert (report.outcome, report.published) == ("ok", 2)
    assert len(server.requests) == 2, "one report lookup, for the alerted disaster only"
    alerted = next(e for e in await outbox_events(ctx) if e.source_id == "501")
    situation = [link.url for link in alerted.links if link.rel == "situation_report"]
    assert situation == [
        "https://reliefweb.int/report/chad/0",
        "https://reliefweb.int/report/chad/1",
    ]
    assert alerted.extras["situation_reports"][0]["title"] == "Flash Update 1"
    assert alerted.extras["situation_reports"][0]["sources"] == ["OCHA"]


async def test_a_known_alerted_disaster_is_not_looked_up_again(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from tests.unit.ingester.corpus import reliefweb, reliefweb_item

    page = reliefweb(reliefweb_item(601, status="alert"))
    poller = reliefweb_poller(ctx, server)
    server.script = [Reply(body=page), Reply(body=reports_page("Flash Update 1"))]
    await poller.poll_once()
    server.script = [Reply(body=page + b"\n")]  # re-served, same disaster
    report = await poller.poll_once()
    assert (report.outcome, report.published, len(server.requests)) == ("ok", 0, 3)


async def test_a_failed_report_lookup_still_publishes_the_alert_and_counts_the_failure(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from tests.unit.ingester.corpus import reliefweb, reliefweb_item

    before = (
        REGISTRY.get_sample_value(
            "standby_source_failures_total", {"source": "reliefweb", "reason": "http_error"}
        )
        or 0.0
    )
    server.script = [Reply(body=reliefweb(reliefweb_item(701, status="alert"))), Reply(status=500)]
    report = await reliefweb_poller(ctx, server).poll_once()
    assert (report.outcome, report.published) == ("ok", 1)
    (event,) = [e for e in await outbox_events(ctx) if e.source_id == "701"]
    assert "situation_reports" not in event.extras
    after = REGISTRY.get_sample_value(
        "standby_source_failures_total", {"source": "reliefweb", "reason": "http_error"}
    )
    assert after == before + 1


REAL_RSS = REAL_CAPTURES / "gdacs/gdacs_rss_exxamalte-aio-georss-gdacs_test-fixture-1.xml"
PROLOGUES = [
    ("bom", b"\xef\xbb\xbf"),
    ("reencoded_bom", bytes.fromhex("c3afc2bbc2bf")),
    ("leading_whitespace", b"\r\n\r\n"),
]


@pytest.mark.parametrize(("reason", "prologue"), PROLOGUES, ids=[p[0] for p in PROLOGUES])
async def test_a_real_capture_behind_a_prologue_is_published_and_the_repair_counted(
    ctx: ServiceContext, server: FeedServer, reason: str, prologue: bytes
) -> None:
    served = REAL_RSS.read_bytes().removeprefix(b"\xef\xbb\xbf")
    server.serve(prologue + served)
    poller = make_poller(ctx, server.url)
    before = sample("standby_documents_repaired_total", reason=reason)
    report = await poller.poll_once()
    assert (report.outcome, report.published) == ("ok", 4), report.detail
    assert report.repaired == {reason: 1}
    assert sample("standby_documents_repaired_total", reason=reason) == before + 1
    assert len(await outbox_events(ctx)) == 4


async def test_an_item_no_country_can_be_found_for_is_published_and_counted_unplaced(
    ctx: ServiceContext, server: FeedServer
) -> None:
    from tests.unit.ingester.corpus import rss, rss_item

    placed = rss_item(96_000_001, iso3="")  # named "Philippines": placed by name
    at_sea = (
        rss_item(96_000_002, iso3="", lat="0.0", lon="-25.0")
        .replace("<gdacs:country>Philippines</gdacs:country>", "<gdacs:country></gdacs:country>")
        .replace("<gdacs:glide>EQ-2026-000001-PHL</gdacs:glide>", "<gdacs:glide></gdacs:glide>")
    )
    server.serve(rss(placed, at_sea))
    before = sample("standby_events_unplaced_total")
    report = await make_poller(ctx, server.url).poll_once()
    assert (report.outcome, report.published) == ("ok", 2)
    assert sample("standby_events_unplaced_total") - before == 1
    published = {e.source_id: e for e in await outbox_events(ctx)}
    assert published["EQ:96000001"].countries == ["PHL"]
    assert published["EQ:96000001"].places[0].found_by.value == "name"
    assert published["EQ:96000002"].countries == []
