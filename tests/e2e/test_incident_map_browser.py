"""The incident map on the duty console's activation page, in headless Chromium, ja and en.

A red quake in southern Turkey reaches a duty process whose member directory has a Turkish
NGO with a depot near the epicentre and a store in Japan: the page draws the epicentre inside
Turkey's outline (the browser's own hit test on the drawn shape), marks the depot as the
nearest stock, says the map in words in the reader's language, and fits a phone's width.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.activations import Activation
from tests.conftest import EmbeddedBroker
from tests.e2e.browser import chromium
from tests.e2e.test_console_browser import AUDIT_JS, DESKTOP, PHONE, SCREENSHOTS
from tests.integration.duty.factories import PASSWORD, activation, write_rota
from tests.integration.duty.process import DutyProcess, publish
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

MEMBERS = """\
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

# The drawn epicentre, hit-tested against the drawn outline of a country by the browser.
HIT_TEST = """
([iso3]) => {
  const map = document.querySelector("[data-testid=incident-map]");
  const dot = map.querySelector("[data-testid=epicentre]");
  const shape = map.querySelector(`path[data-iso3="${iso3}"]`);
  const at = new DOMPoint(dot.cx.baseVal.value, dot.cy.baseVal.value);
  return { inside: shape.isPointInFill(at), affected: shape.classList.contains("affected") };
}
"""
# What assistive technology announces for the map: its name and description, in order.
ACCESSIBLE = """
() => {
  const map = document.querySelector("[data-testid=incident-map]");
  const text = (ids) => ids.split(" ").map((id) => document.getElementById(id).textContent);
  return { role: map.getAttribute("role"), label: text(map.getAttribute("aria-labelledby")),
           lang: map.getAttribute("lang") };
}
"""

WORDS = {
    "en": {"heading": "Map", "title": "Map of ", "where": "Epicentre in Turkey"},
    "ja": {"heading": "地図", "title": "の地図", "where": "震源はトルコ"},
}


@pytest.fixture(scope="module")
def duty(
    tmp_path_factory: pytest.TempPathFactory, embedded_broker: EmbeddedBroker
) -> Iterator[DutyProcess]:
    folder = tmp_path_factory.mktemp("maps")
    (folder / "members.yaml").write_text(MEMBERS, encoding="utf-8")
    process = DutyProcess(folder / "var", embedded_broker.bootstrap, write_rota(folder / "rota.yaml"))
    process.env["STANDBY_MEMBERS_FILE"] = str(folder / "members.yaml")
    process.start()
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def quake(duty: DutyProcess, embedded_broker: EmbeddedBroker) -> Activation:
    made = activation(title="Red earthquake alert (M 7.8) in Turkey")
    summary = made.summary.model_copy(
        update={"countries": ["TUR", "SYR"], "country_names": ["Turkey", "Syria"],
                "lat": 37.2, "lon": 37.0}
    )
    made = made.model_copy(update={"summary": summary})
    publish(embedded_broker.bootstrap, made)
    wait_for(
        lambda: duty.query(
            "SELECT 1 FROM duty_activations WHERE activation_id = ?", str(made.activation_id)
        ),
        timeout=30,
        what="duty to record the activation",
    )
    return made


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize(("lang", "viewport"), [("en", DESKTOP), ("ja", PHONE)], ids=["en", "ja-390"])
def test_the_activation_page_maps_the_epicentre_in_its_country_and_the_nearest_stock(
    duty: DutyProcess, quake: Activation, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    words = WORDS[lang]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{duty.url}/lang/{lang}?next=/activations/{quake.activation_id}")
    page.fill("input[name=officer_id]", "aoki")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"**/activations/{quake.activation_id}")

    heading = page.locator("#map-heading")
    assert heading.inner_text() == words["heading"]
    assert page.evaluate(HIT_TEST, ["TUR"]) == {"inside": True, "affected": True}
    assert page.evaluate(HIT_TEST, ["SYR"]) == {"inside": False, "affected": True}
    nearest = page.locator("[data-testid=warehouse][data-nearest]")
    assert nearest.get_attribute("data-place") == "Adana depot" and nearest.is_visible()
    # The store in Japan is beyond the view: named in words, not drawn at the view's edge.
    assert page.locator("[data-testid=warehouse][data-place='Narita centre']").count() == 0
    page.locator("figure.incident-map summary").click()
    said = page.get_by_test_id("map-text").inner_text()
    assert words["where"] in said and "Narita centre" in said

    named = page.evaluate(ACCESSIBLE)
    assert named["role"] == "img" and named["lang"] == lang
    assert words["title"] in named["label"][0] and words["where"] in named["label"][1]

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    box = page.get_by_test_id("incident-map").bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    assert page.evaluate(AUDIT_JS) == []
    shots = SCREENSHOTS / f"{lang}-{viewport['width']}"
    shots.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("incident-map").screenshot(path=shots / "05-incident-map.png")
    context.close()
