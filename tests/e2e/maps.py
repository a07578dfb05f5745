"""What the browser tests ask of an incident map drawn on a page (services/domain/maps)."""

from __future__ import annotations

from typing import Any

# The drawn epicentre, hit-tested by the browser against the drawn outline of a country.
HIT_TEST = """
([iso3]) => {
  const map = document.querySelector("[data-testid=incident-map]");
  const dot = map.querySelector("[data-testid=epicentre]");
  const shape = map.querySelector(`path[data-iso3="${iso3}"]`);
  const at = new DOMPoint(dot.cx.baseVal.value, dot.cy.baseVal.value);
  return { inside: shape.isPointInFill(at), affected: shape.classList.contains("affected") };
}
"""

# What assistive technology announces for the map: its role, name and description, in order.
ACCESSIBLE = """
() => {
  const map = document.querySelector("[data-testid=incident-map]");
  const text = (ids) => ids.split(" ").map((id) => document.getElementById(id).textContent);
  return { role: map.getAttribute("role"), label: text(map.getAttribute("aria-labelledby")),
           lang: map.getAttribute("lang") };
}
"""


def epicentre_in(page: Any, iso3: str) -> dict[str, bool]:
    """Whether the drawn epicentre lies in the country's drawn shape, and the shape is shaded."""
    found: dict[str, bool] = page.evaluate(HIT_TEST, [iso3])
    return found


def announced(page: Any) -> dict[str, Any]:
    """The map's role, its accessible name and description, and its language."""
    found: dict[str, Any] = page.evaluate(ACCESSIBLE)
    return found


def warehouses(page: Any) -> dict[str, bool]:
    """The warehouses drawn on the map: place → whether it is marked as the nearest stock."""
    marks = page.locator("[data-testid=incident-map] [data-testid=warehouse]")
    return {
        marks.nth(i).get_attribute("data-place"): marks.nth(i).get_attribute("data-nearest") == "1"
        for i in range(marks.count())
    }
