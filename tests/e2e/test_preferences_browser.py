"""The member's preference page in headless Chromium: it cannot be saved into silence by mistake.

The notifier's preference app is served on a free port from a thread of this process, on a
migrated SQLite database; Chromium fills the form as a member would, in Japanese and English.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.db import Database
from services.common.members_file import MemberDirectoryFile
from services.common.web_server import serve_app
from services.notifier.preference_store import preference_of
from services.notifier.preferences import PreferenceLinks
from services.notifier.web.app import PreferenceDeps, create_app
from tests.conftest import free_port
from tests.e2e.browser import audit, chromium
from tests.integration.notifier.harness import directory_yaml
from tests.waiting import wait_for

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "preferences"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CONTACTS = [("ken", "ja", "ken@members.example.jp"), ("amy", "en", "amy@members.example.org")]

EXPECTED = {
    "ja": {
        "no_levels": "レベルが一つも選ばれていません",
        "suggestion": "「PHI」という国は見つかりません。フィリピン (PHL) のことですか？",
        "name": "フィリピン",
        "saved": "保存しました。",
    },
    "en": {
        "no_levels": "You ticked no level",
        "suggestion": "“PHI” is not a country standby knows. Did you mean Philippines (PHL)?",
        "name": "Philippines",
        "saved": "Saved.",
    },
}


class PreferenceServer:
    """The preference pages on a port, served by an event loop of their own in a thread."""

    def __init__(self, tmp_path: Path) -> None:
        members = tmp_path / "members.yaml"
        members.write_text(directory_yaml(CONTACTS), encoding="utf-8")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.links = PreferenceLinks("p" * 40, self.base)
        self.db = Database(f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}", "notifier")
        self.app = create_app(
            PreferenceDeps(db=self.db, links=self.links, directory=MemberDirectoryFile(members))
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def __enter__(self) -> PreferenceServer:
        self._thread.start()
        self.run(self.db.migrate())
        self._stop = self.run(self._event())
        self._served = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        wait_for(self._answers, timeout=15, what="the preference pages")
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    async def _event(self) -> asyncio.Event:
        return asyncio.Event()

    async def _serve(self) -> None:
        task = asyncio.create_task(serve_app(self.app, "127.0.0.1", self.port, name="preferences"))
        await self._stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._served.result(timeout=15)
        self.run(self.db.dispose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def stored_countries(self, contact: str) -> frozenset[str] | None:
        async def read() -> frozenset[str] | None:
            async with self.db.sessions() as session:
                pref = await preference_of(session, f"org-{contact}", contact)
            return pref.countries if pref else None

        result: frozenset[str] | None = self.run(read())
        return result


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreferenceServer]:
    # One server for both languages: each test reads and writes its own contact only.
    with PreferenceServer(tmp_path_factory.mktemp("preferences")) as running:
        yield running


def _no_horizontal_scroll(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{wide} px of horizontal scroll"


@pytest.mark.parametrize(("contact", "lang"), [("ken", "ja"), ("amy", "en")])
def test_a_save_with_no_level_or_an_unknown_country_is_refused_and_explained(
    server: PreferenceServer, browser: Any, contact: str, lang: str
) -> None:
    words = EXPECTED[lang]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)
    address = next(email for cid, _, email in CONTACTS if cid == contact)
    page.goto(server.links.page_url(f"org-{contact}", contact, address))
    assert page.locator("html").get_attribute("lang") == lang
    _no_horizontal_scroll(page)

    # Every level unticked: not saved, said what it would mean, and the way out offered.
    for box in page.locator('input[name="levels"]').all():
        box.uncheck()
    page.get_by_test_id("save").click()
    error = page.get_by_test_id("error")
    assert error.get_attribute("data-key") == "no_levels"
    assert words["no_levels"] in error.inner_text()
    assert page.get_by_test_id("confirm-no-levels").is_visible()
    page.screenshot(path=SHOTS / f"{lang}-no-levels-390.png", full_page=True)
    _no_horizontal_scroll(page)
    audit(page, f"preferences refused ({lang})")

    # A level back, and the Olympic code for the Philippines: refused with the country meant.
    page.locator('input[name="levels"][value="standby"]').check()
    page.locator("#countries").fill("PHI")
    page.get_by_test_id("save").click()
    error = page.get_by_test_id("error")
    assert error.get_attribute("data-key") == "unknown_country_hint"
    assert words["suggestion"] in error.inner_text()
    assert page.locator("#countries").input_value() == "PHI"  # the typo is kept to fix
    assert server.stored_countries(contact) is None  # nothing was saved
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SHOTS / f"{lang}-unknown-country-desktop.png", full_page=True)

    # The country by its name in the reader's language is taken and shown by name.
    page.locator("#countries").fill(words["name"])
    page.get_by_test_id("save").click()
    assert page.get_by_test_id("message").inner_text() == words["saved"]
    chosen = page.get_by_test_id("countries")
    assert f"{words['name']} (PHL)" in chosen.inner_text()
    assert server.stored_countries(contact) == {"PHL"}
    page.set_viewport_size(PHONE)
    page.screenshot(path=SHOTS / f"{lang}-saved-390.png", full_page=True)
    _no_horizontal_scroll(page)
    page.close()
