"""The duty console in a real browser (Debian's chromium driven by Playwright), on a real duty process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus
from tests.conftest import EmbeddedBroker
from tests.integration.duty.factories import PASSWORD, activation, write_rota
from tests.integration.duty.process import DutyProcess, publish
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE_TITLE = (
    'M 7.1 <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> '
    "<b>Miyagi</b>, Japan"
)


@pytest.fixture
def duty(tmp_path: Path, embedded_broker: EmbeddedBroker) -> Iterator[DutyProcess]:
    rota = write_rota(tmp_path / "rota.yaml", backup_after_minutes=10, team_after_minutes=10)
    process = DutyProcess(tmp_path / "var", embedded_broker.bootstrap, rota)
    process.start()
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make sysdeps-test` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def delivery(
    activation_id: UUID, contact: str, status: DeliveryStatus, error: str | None = None
) -> Delivery:
    """A delivery report as the notifier publishes it."""
    return Delivery(
        delivery_key=f"{activation_id}:jpf/{contact}:email",
        kind=DeliveryKind.MEMBER_ALERT,
        activation_id=activation_id,
        organisation_id="jpf",
        contact_id=contact,
        channel=Channel.EMAIL,
        status=status,
        attempts=1,
        error=error,
    )


def ack_url_of(duty: DutyProcess, activation_id: object) -> str:
    """Take the signed link from the page duty handed to the notifier (its outbox row)."""
    for (payload,) in duty.query("SELECT payload FROM outbox WHERE topic = 'pages.v1'"):
        page = json.loads(payload)
        if page["activation_id"] == str(activation_id):
            return str(page["ack_url"])
    return ""


def test_an_officer_sees_a_new_activation_and_acknowledges_it_through_the_confirm_page(
    duty: DutyProcess, browser: object, embedded_broker: EmbeddedBroker
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = console.new_page()

    page.goto(f"{duty.url}/")
    expect(page).to_have_url(f"{duty.url}/login?next=%2F")
    page.fill("input[name=officer_id]", "aoki")
    page.fill("input[name=password]", PASSWORD)
    page.screenshot(path=SCREENSHOTS / "01-login.png")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("officer-name")).to_have_text("Aoki Aoi")

    incoming = activation(title=HOSTILE_TITLE)
    publish(embedded_broker.bootstrap, incoming)
    row = page.locator(f"[data-activation-id='{incoming.activation_id}']")

    def listed() -> bool:
        page.reload()
        return row.count() == 1

    wait_for(listed, timeout=60, every=0.5, what="the new activation on the list")
    expect(row.get_by_test_id("state")).to_have_text("Paged")
    # The feed's markup is shown as text and none of it ran.
    expect(row.locator("a.title")).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("window.__pwned") is None
    assert row.locator("script, img, b").count() == 0
    page.screenshot(path=SCREENSHOTS / "02-activations.png", full_page=True)

    row.locator("a.title").click()
    expect(page.get_by_test_id("activation-title")).to_have_text(HOSTILE_TITLE)
    expect(page.get_by_test_id("next-escalation")).not_to_have_text("No escalation pending")
    expect(page.get_by_test_id("timeline")).to_contain_text("GDACS alert level Red")
    page.screenshot(path=SCREENSHOTS / "03-activation-paged.png", full_page=True)

    # The officer's phone: no session, the link from the page mail.
    link = wait_for(lambda: ack_url_of(duty, incoming.activation_id), timeout=10, what="the page")
    phone = browser.new_context(locale="ja-JP", viewport={"width": 420, "height": 900})
    confirm = phone.new_page()
    confirm.goto(link)
    expect(confirm.get_by_test_id("confirm-acknowledge")).to_be_visible()
    assert duty.query(
        "SELECT state FROM duty_activations WHERE activation_id = ?", str(incoming.activation_id)
    ) == [("paged",)], "opening the link must change nothing"
    confirm.screenshot(path=SCREENSHOTS / "04-confirm-ja.png", full_page=True)
    confirm.get_by_test_id("confirm-acknowledge").click()
    expect(confirm.get_by_test_id("message")).to_have_attribute("data-key", "acknowledged_by_you")
    confirm.screenshot(path=SCREENSHOTS / "05-acknowledged-ja.png", full_page=True)
    confirm.goto(link)
    expect(confirm.get_by_test_id("refusal")).to_have_attribute("data-reason", "spent")

    page.reload()
    expect(page.get_by_test_id("state")).to_have_text("Acknowledged")
    expect(page.get_by_test_id("owner")).to_have_text("Aoki Aoi")
    expect(page.get_by_test_id("next-escalation")).to_have_text("No escalation pending")
    expect(page.get_by_test_id("action-launch")).to_be_visible()
    expect(page.get_by_test_id("action-acknowledge")).to_have_count(0)
    assert duty.query(
        "SELECT status FROM duty_timers WHERE activation_id = ?", str(incoming.activation_id)
    ) == [("cancelled",)]
    page.screenshot(path=SCREENSHOTS / "06-activation-acknowledged.png", full_page=True)

    page.get_by_test_id("action-launch").click()
    expect(page.get_by_test_id("consequence")).to_contain_text("told to deploy")
    page.get_by_test_id("member-message").fill("JPF members with staff in Miyagi deploy")
    page.screenshot(path=SCREENSHOTS / "07-confirm-launch.png", full_page=True)
    page.get_by_test_id("confirm-launch").click()
    expect(page.get_by_test_id("state")).to_have_text("Launched")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "JPF members with staff in Miyagi deploy"
    )
    publish(
        embedded_broker.bootstrap,
        delivery(incoming.activation_id, "tanaka", DeliveryStatus.SENT),
        delivery(incoming.activation_id, "suzuki", DeliveryStatus.FAILED, "550 5.1.1 no such user"),
    )
    page.get_by_test_id("member-view").click()
    expect(page.locator("h1")).to_have_text("Member view")
    failed = page.locator("[data-testid=delivery][data-contact=suzuki]")

    def reported() -> bool:
        page.reload()
        return failed.count() == 1

    wait_for(reported, timeout=30, every=0.5, what="the notifier's delivery reports")
    expect(failed).to_contain_text("550 5.1.1 no such user")
    expect(page.locator("[data-testid=delivery][data-contact=tanaka]")).to_contain_text("sent")
    page.screenshot(path=SCREENSHOTS / "08-members.png", full_page=True)
    console.close()
    phone.close()
