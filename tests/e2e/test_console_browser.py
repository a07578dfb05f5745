"""The duty console in a real browser (Debian's chromium driven by Playwright), on a real duty process.

Each run is one night's work in one language at one screen size: the page mail's or the chat
page's link acknowledges, the other link then says who did, the countdown moves, the list acts,
the stand-down form keeps the internal note apart, and every page passes a contrast and label check.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus
from schemas.members import Language
from schemas.pages import Page
from services.notifier.rendering import Renderer
from services.runtime.embedded import free_port
from tests.conftest import EmbeddedBroker
from tests.e2e.browser import DESKTOP, PHONE, audit, chromium, readable
from tests.e2e.maps import announced, epicentre_in, warehouses
from tests.integration.duty.factories import PASSWORD, activation, write_rota
from tests.integration.duty.process import DutyProcess, publish
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE_TITLE = (
    'M 7.1 <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> '
    "<b>Miyagi</b>, Japan"
)
INTERNAL_NOTE = "internal: the observer is not told yet"


# The incident maps draw members, plans and warehouses from this directory.
MAP_MEMBERS = """\
organisations:
  - id: crescent-aid
    name_ja: クレセント支援
    name_en: Crescent Aid
    kind: ngo
    countries: [TUR]
    contacts: [{id: desk, name: Desk, language: en, email: desk@crescent.example.org}]
    plans:
      - {id: quake, title_ja: 地震初動, title_en: Quake first response, hazard_types: [EQ],
         countries: [TUR, SYR], sectors: [shelter], staff_deployable: 4, hours_to_deploy: 24}
    supplies:
      - {item: tents, quantity: 300, unit: tents, country: TUR, place: Adana depot,
         lat: 37.0, lon: 35.3}
      - {item: blankets, quantity: 900, unit: blankets, country: JPN, place: Narita centre,
         lat: 35.77, lon: 140.39}
"""


@pytest.fixture(scope="module")
def duty(
    tmp_path_factory: pytest.TempPathFactory, embedded_broker: EmbeddedBroker
) -> Iterator[DutyProcess]:
    folder = tmp_path_factory.mktemp("console")
    rota = write_rota(folder / "rota.yaml", backup_after_minutes=10, team_after_minutes=10)
    process = DutyProcess(folder / "var", embedded_broker.bootstrap, rota)
    (folder / "members.yaml").write_text(MAP_MEMBERS, encoding="utf-8")
    process.env["STANDBY_MEMBERS_FILE"] = str(folder / "members.yaml")
    # No response service behind the console: its pages answer "not available" after 1 s.
    process.env["STANDBY_RESPONSE__WEB_PORT"] = str(free_port())
    process.env["STANDBY_DUTY__UPSTREAM_START_WAIT_S"] = "1"
    process.start()
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def handed_to_notifier(duty: DutyProcess, topic: str, activation_id: UUID) -> list[str]:
    """The messages duty handed over for an activation (its outbox rows), oldest first."""
    return [
        payload
        for (payload,) in duty.query(
            "SELECT payload FROM outbox WHERE topic = ? ORDER BY id", topic
        )
        if json.loads(payload)["activation_id"] == str(activation_id)
    ]


def links_in(text: str, base: str) -> list[str]:
    return [
        u for u in re.findall(r"https?://[^\s\"'<>]+", html.unescape(text)) if u.startswith(base)
    ]


def above_the_fold(page: Any, test_id: str) -> None:
    box = page.get_by_test_id(test_id).first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"], test_id


def member_delivery(activation_id: UUID, contact: str, status: DeliveryStatus) -> Delivery:
    return Delivery(
        delivery_key=f"{activation_id}:jpf/{contact}:email",
        kind=DeliveryKind.MEMBER_ALERT,
        activation_id=activation_id,
        organisation_id="jpf",
        contact_id=contact,
        channel=Channel.EMAIL,
        status=status,
        attempts=1,
        error="550 5.1.1 no such user" if status is DeliveryStatus.FAILED else None,
    )


WORDS = {
    "en": {
        "paged": "Paged",
        "acknowledged": "Acknowledged",
        "stood_down": "Stood down",
        "counts": "1 sent, 1 failed, 0 waiting",
    },
    "ja": {
        "paged": "呼び出し中",
        "acknowledged": "受領済み",
        "stood_down": "待機解除",
        "counts": "送信済み 1・失敗 1・送信待ち 0",
    },
}


@pytest.mark.parametrize(
    ("lang", "viewport", "ack_from"),
    [
        ("en", DESKTOP, "email"),
        ("ja", PHONE, "chat"),
    ],
    ids=["en-desktop-mail", "ja-390-chat"],
)
def test_a_night_on_duty(
    duty: DutyProcess,
    browser: Any,
    embedded_broker: EmbeddedBroker,
    lang: str,
    viewport: dict[str, int],
    ack_from: str,
) -> None:
    from playwright.sync_api import expect

    shots = SCREENSHOTS / f"{lang}-{viewport['width']}"
    shots.mkdir(parents=True, exist_ok=True)
    words = WORDS[lang]
    console = browser.new_context(locale="en-GB", viewport=viewport)
    page = console.new_page()
    page.goto(f"{duty.url}/lang/{lang}")
    page.fill("input[name=officer_id]", "aoki")
    page.fill("input[name=password]", PASSWORD)
    audit(page, "login")
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_test_id("officer-name")).to_have_text("Aoki Aoi")

    incoming: Activation = activation(title=HOSTILE_TITLE)
    publish(embedded_broker.bootstrap, incoming)
    row = page.locator(f"[data-activation-id='{incoming.activation_id}']")

    def listed() -> bool:
        page.reload()
        return row.count() == 1

    wait_for(listed, timeout=30, every=0.3, what="the new activation on the list")
    expect(row.get_by_test_id("state")).to_have_text(words["paged"])
    expect(row.locator("a.title")).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("window.__pwned") is None and row.locator("script, img, b").count() == 0
    above_the_fold(page, "list-acknowledge")
    countdown = row.get_by_test_id("countdown")
    before = countdown.inner_text()
    expect(countdown).not_to_have_text(before, timeout=5_000)
    audit(page, "list")
    page.screenshot(path=shots / "01-list.png", full_page=True)

    # The page as the notifier renders it from what duty handed over, in the officer's language.
    (payload,) = wait_for(
        lambda: handed_to_notifier(duty, "pages.v1", incoming.activation_id),
        timeout=10,
        what="the page",
    )
    rendered = Renderer().page(Language(lang), Page.model_validate_json(payload))
    mail_link = [u for u in links_in(rendered.text, duty.url) if "/a/" in u]
    chat_link = links_in(rendered.chat, duty.url)
    assert mail_link == chat_link == [Page.model_validate_json(payload).ack_url]
    link = mail_link[0] if ack_from == "email" else chat_link[0]

    phone = browser.new_context(locale="ja-JP" if lang == "ja" else "en-GB", viewport=PHONE)
    confirm = phone.new_page()
    confirm.goto(link)
    above_the_fold(confirm, "confirm-acknowledge")
    audit(confirm, "confirm link")
    confirm.screenshot(path=shots / "02-confirm.png", full_page=True)
    confirm.get_by_test_id("confirm-acknowledge").click()
    expect(confirm.get_by_test_id("message")).to_have_attribute("data-key", "acknowledged_by_you")
    phone.close()

    # The list follows by itself, without a reload, and keeps keyboard focus where it was.
    page.get_by_test_id("filters-toggle").click()
    audit(page, "list with its filters open")
    page.get_by_test_id("filters").locator("select[name=level]").focus()
    expect(row.get_by_test_id("state")).to_have_text(words["acknowledged"], timeout=30_000)
    assert page.evaluate("document.activeElement.name") == "level"
    expect(row.get_by_test_id("owner")).to_have_text("Aoki Aoi")

    row.locator("a.title").click()
    expect(page.get_by_test_id("owner")).to_have_text("Aoki Aoi")
    # The programme's launch is the roll-call board's (tests/e2e/test_rollcall_browser.py):
    # here the console links to it.
    launch = page.get_by_test_id("action-launch")
    assert launch.get_attribute("href") == f"/rollcall/{incoming.incident_id}#launch"
    above_the_fold(page, "action-stand_down")
    audit(page, "activation")
    page.get_by_test_id("action-stand_down").click()
    page.get_by_test_id("member-message").fill("Field teams stay home")
    expect(page.get_by_test_id("preview-message")).to_contain_text("Field teams stay home")
    page.get_by_test_id("note").fill(INTERNAL_NOTE)
    expect(page.get_by_test_id("preview-message")).not_to_contain_text(INTERNAL_NOTE)
    above_the_fold(page, "confirm-stand_down")
    audit(page, "stand-down form")
    page.screenshot(path=shots / "03-stand-down.png", full_page=True)
    page.get_by_test_id("confirm-stand_down").click()
    expect(page.get_by_test_id("state")).to_have_text(words["stood_down"])
    expect(page.get_by_test_id("member-message-sent")).to_have_text("Field teams stay home")

    # What members will read is built from the stand-down event: the internal note is not in it.
    stood = AckEvent.model_validate_json(
        handed_to_notifier(duty, "acks.v1", incoming.activation_id)[-1]
    )
    assert stood.note == INTERNAL_NOTE and stood.member_message == "Field teams stay home"

    # The link not used is now stale: it says who acknowledged and offers the activation.
    other = browser.new_context(viewport=viewport)
    stale = other.new_page()
    stale.goto(chat_link[0] if ack_from == "email" else mail_link[0])
    expect(stale.get_by_test_id("stale")).to_have_attribute("data-owner", "aoki")
    audit(stale, "stale link")
    other.close()

    publish(
        embedded_broker.bootstrap,
        member_delivery(incoming.activation_id, "tanaka", DeliveryStatus.SENT),
        member_delivery(incoming.activation_id, "suzuki", DeliveryStatus.FAILED),
    )
    # The activation page follows the notifier's reports by itself.
    expect(page.get_by_test_id("delivery-counts")).to_have_text(words["counts"], timeout=30_000)
    page.get_by_test_id("member-view").click()
    failed = page.locator("[data-testid=delivery][data-contact=suzuki]")
    expect(failed).to_contain_text("550 5.1.1 no such user")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    audit(page, "members")
    page.screenshot(path=shots / "04-members.png", full_page=True)
    console.close()


MAP_WORDS = {
    "en": {"heading": "Map", "title": "Map of ", "where": "37.0°E, in Turkey."},
    "ja": {"heading": "地図", "title": "の地図", "where": "東経37.0度（トルコ）。"},
}


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", DESKTOP), ("ja", PHONE)], ids=["en", "ja-390"]
)
def test_the_activation_page_maps_the_epicentre_in_its_country_and_the_nearest_stock(
    duty: DutyProcess,
    browser: Any,
    embedded_broker: EmbeddedBroker,
    lang: str,
    viewport: dict[str, int],
) -> None:
    words = MAP_WORDS[lang]
    made = activation(title="Red earthquake alert (M 7.8) in Turkey")
    where = {"countries": ["TUR", "SYR"], "country_names": ["Turkey", "Syria"]}
    summary = made.summary.model_copy(update={**where, "lat": 37.2, "lon": 37.0})
    quake = made.model_copy(update={"summary": summary})
    publish(embedded_broker.bootstrap, quake)
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{duty.url}/lang/{lang}?next=/activations/{quake.activation_id}")
    page.fill("input[name=officer_id]", "aoki")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()

    def shown() -> bool:
        page.goto(f"{duty.url}/activations/{quake.activation_id}")
        return page.locator("#map-heading").count() == 1

    wait_for(shown, timeout=30, every=0.3, what="the activation page with its map")
    assert page.locator("#map-heading").inner_text() == words["heading"]
    assert epicentre_in(page, "TUR") == {"inside": True, "affected": True}
    assert epicentre_in(page, "SYR") == {"inside": False, "affected": True}
    # The store in Japan is beyond the view: said in words, not drawn.
    assert warehouses(page) == {"Adana depot": True}
    # The page follows the activation by itself (console.js swaps its live part when the
    # timeline moves): the map's words stay open once opened, and it is shot by its place.
    page.locator("#map-words summary").click()
    if lang == "en":  # once is enough: wait out a refresh round of the live part (every 5 s)
        page.wait_for_timeout(6_000)
        assert page.locator("#map-words").get_attribute("open") is not None
    said = page.get_by_test_id("map-text").inner_text()
    assert words["where"] in said and "Narita centre" in said

    named = announced(page)
    assert named["role"] == "img" and named["lang"] == lang
    assert words["title"] in named["label"][0] and words["where"] in named["label"][1]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    audit(page, "activation with its map")
    shots = SCREENSHOTS / f"{lang}-{viewport['width']}"
    shots.mkdir(parents=True, exist_ok=True)
    box = page.get_by_test_id("incident-map").bounding_box()
    assert box is not None
    page.screenshot(path=shots / "05-incident-map.png", clip=box, full_page=True)
    page.context.close()


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en-GB", "This page is not available right now"),
        ("ja-JP", "このページは現在表示できません"),
    ],
)
def test_a_members_page_whose_service_is_down_says_so_in_the_readers_language(
    duty: DutyProcess, browser: Any, locale: str, words: str
) -> None:
    member = browser.new_context(locale=locale, viewport=PHONE)
    page = member.new_page()
    try:
        answered = page.goto(f"{duty.url}/respond/incident/org/token")
        assert answered is not None and answered.status == 503
        assert answered.headers["retry-after"] == "10"
        assert words in page.get_by_test_id("message").inner_text()
        # A member has no session: nothing sends them to the officers' list.
        assert page.locator("article a").count() == 0
        readable(page, f"the unavailable page ({locale})")
    finally:
        member.close()
