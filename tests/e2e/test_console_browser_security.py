"""The console's defences in a real browser (Debian's chromium via Playwright) on a real duty process.

Ten wrong passwords sent in an officer's name from other addresses do not keep the officer out
of the browser they used before; text in the URL never reaches the page; a logged-out cookie
and the link of an officer removed from the rota are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

from tests.conftest import EmbeddedBroker
from tests.e2e.browser import chromium
from tests.integration.duty.factories import PASSWORD, activation, rota_dict
from tests.integration.duty.process import DutyProcess, publish
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

PHISHING = "URGENT: the console is down, acknowledge by phone at +81 3 0000 0000"


@pytest.fixture
def rota_file(tmp_path: Path) -> Path:
    path = tmp_path / "rota.yaml"
    path.write_text(yaml.safe_dump(rota_dict(), allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def duty(tmp_path: Path, rota_file: Path, embedded_broker: EmbeddedBroker) -> Iterator[DutyProcess]:
    process = DutyProcess(tmp_path / "var", embedded_broker.bootstrap, rota_file)
    # A reverse proxy on loopback: X-Forwarded-For names the source, so the guesses below come
    # from ten addresses. Without this setting the header is ignored.
    process.env["STANDBY_DUTY__TRUSTED_PROXIES"] = "127.0.0.1"
    process.start()
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def guess(url: str, source: str) -> int:
    """One wrong password for aoki from another address (behind the trusted proxy)."""
    with httpx.Client(base_url=url, headers={"x-forwarded-for": source}, timeout=10) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf
        form = {"officer_id": "aoki", "password": "guess", "csrf": csrf[1]}
        return client.post("/login", data=form).status_code


def log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=officer_id]", "aoki")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()


def ack_url(duty: DutyProcess, activation_id: object) -> str:
    for (payload,) in duty.query("SELECT payload FROM outbox WHERE topic = 'pages.v1'"):
        page = json.loads(payload)
        if page["activation_id"] == str(activation_id) and page["target"]["officer_id"] == "aoki":
            return str(page["ack_url"])
    return ""


def test_an_officer_cannot_be_locked_out_and_nothing_outlives_logout_or_the_rota(
    duty: DutyProcess, browser: Any, embedded_broker: EmbeddedBroker, rota_file: Path
) -> None:
    from playwright.sync_api import expect

    laptop = browser.new_context(locale="en-GB")
    page = laptop.new_page()
    log_in(page, duty.url)
    expect(page.get_by_test_id("officer-name")).to_have_text("Aoki Aoi")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))

    statuses = [guess(duty.url, f"198.51.100.{n}") for n in range(10)]
    assert statuses == [401] * 10
    assert guess(duty.url, "198.51.100.200") == 429  # an eleventh stranger is slowed down

    # The browser aoki used before still gets in at once.
    log_in(page, duty.url)
    expect(page.get_by_test_id("officer-name")).to_have_text("Aoki Aoi")

    incoming = activation()
    publish(embedded_broker.bootstrap, incoming)
    detail = f"{duty.url}/activations/{incoming.activation_id}"

    def shown() -> bool:
        page.goto(detail)
        return page.get_by_test_id("activation-title").count() == 1

    wait_for(shown, timeout=60, every=0.5, what="the activation's page")
    page.goto(f"{detail}?error={quote(PHISHING)}")
    expect(page.get_by_test_id("activation-title")).to_be_visible()
    assert "+81 3 0000" not in page.content() and "URGENT" not in page.content()

    # A copied cookie stops working at logout.
    stolen = laptop.cookies()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    thief = browser.new_context(locale="en-GB")
    thief.add_cookies(stolen)
    replay = thief.new_page()
    replay.goto(detail)
    expect(replay).to_have_url(re.compile(r"/login\?next="))
    assert replay.request.get(f"{duty.url}/api/v1/me").status == 401

    # aoki leaves the rota: the link in his page mail no longer acts.
    link = wait_for(lambda: ack_url(duty, incoming.activation_id), timeout=10, what="the page")
    phone = browser.new_context(locale="en-GB").new_page()
    phone.goto(link)
    expect(phone.get_by_test_id("confirm-acknowledge")).to_be_visible()
    without = rota_dict()
    without["officers"] = [o for o in without["officers"] if o["id"] != "aoki"]
    without["shifts"][0]["primary"], without["team"] = "sato", ["sato"]
    rota_file.write_text(yaml.safe_dump(without, allow_unicode=True), encoding="utf-8")
    phone.get_by_test_id("confirm-acknowledge").click()
    expect(phone.get_by_test_id("refusal")).to_have_attribute("data-reason", "off_rota")
    assert duty.query(
        "SELECT state FROM duty_activations WHERE activation_id = ?", str(incoming.activation_id)
    ) == [("paged",)]
    wait_for(
        lambda: (
            duty.query("SELECT officer_id FROM duty_security_events WHERE kind = 'rota_removed'")
            == [("aoki",)]
        ),
        timeout=20,
        what="the rota removal in the security log",
    )
    kinds = dict(duty.query("SELECT kind, count(*) FROM duty_security_events GROUP BY kind"))
    assert kinds["login_failed"] == 10 and kinds["login_throttled"] == 1
    assert kinds["login_succeeded"] == 2 and kinds["logout"] == 2 and kinds["link_refused"] >= 1
