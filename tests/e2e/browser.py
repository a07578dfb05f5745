"""Headless Chromium for the end-to-end tests that drive pages (`make sysdeps-test` installs it)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# axe-core from npm (tests/e2e/package.json, installed by `make sysdeps-test`).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The WCAG 2.x A and AA rules: what a public service's pages are held to.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# No sandbox in containers; no background traffic of its own beside the test's requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Chromium, closed after the block; a missing one fails the test, never skips."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make sysdeps-test` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Every visible interactive element has a name, and every visible text (badges included)
# stands out from the background behind it by at least 4.5:1 (WCAG 2 AA, normal text).
AUDIT_JS = """
() => {
  const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    let layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    return out;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    // checkVisibility also knows content a closed <details> keeps out of the rendering.
    return r.width > 0 && r.height > 0 && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  };
  const ratio = (el) => {
    const fg = rgba(getComputedStyle(el).color); const bg = background(el);
    const blended = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
    const [a, b] = [lum(blended), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
  const name = (el) => (el.getAttribute("aria-label") || (el.labels && [...el.labels].map(l => l.innerText).join(" ")) ||
    (el.getAttribute("aria-labelledby") || "").split(" ").map(id => document.getElementById(id)?.innerText || "").join(" ") ||
    el.innerText || el.value || el.title || "").trim();
  const problems = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    if (!visible(el)) continue;
    if (!name(el)) problems.push(`no label: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el) || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
    const r = ratio(el);
    if (r < 4.5) problems.push(`contrast ${r.toFixed(2)}: ${el.outerHTML.slice(0, 80)}`);
  }
  return problems;
}
"""

AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}
"""


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it stands.

    The script goes in through the DevTools protocol, which the page's CSP does not govern, so
    the pages are audited under the very policy they are served with.
    """
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make sysdeps-test` (make test does it)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(f"(() => {{ {AXE.read_text()}\n; return typeof window.axe; }})()")
    violations: list[str] = page.evaluate(AXE_RUN, AXE_TAGS)
    return violations


def audit(page: Any, where: str) -> None:
    """axe-core, then the house check of labels and contrast, at the desktop size and at 390 px.

    The house check stays beside axe because it also measures text over translucent badges,
    which axe reports as "needs review" rather than as a violation. The size is restored after.
    """
    size = page.viewport_size
    for other in (DESKTOP, PHONE):
        page.set_viewport_size(other)
        assert axe_violations(page) == [], f"{where} at {other['width']} px (axe-core)"
        problems = page.evaluate(AUDIT_JS)
        assert problems == [], f"{where} at {other['width']} px: {problems}"
    page.set_viewport_size(size)


# A raw key (`early_recovery`, `answer_recorded`) among the visible words; the look-arounds,
# not \b, bound it, for \b sees no edge between Japanese and Latin letters.
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")


def readable(page: Any, where: str) -> None:
    """At 390 px and on the desktop: nothing scrolls sideways, no raw key is shown, and the
    page passes axe-core and the house audit of labels and contrast."""
    # The page a click just asked for, loaded (a read during the swap finds no document).
    page.wait_for_load_state()
    size = page.viewport_size
    for other in (PHONE, DESKTOP):
        page.set_viewport_size(other)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{where} at {other['width']} px scrolls sideways: {widths}"
        shown = SNAKE.findall(page.inner_text("body"))
        assert shown == [], f"{where} at {other['width']} px shows raw keys: {shown}"
    audit(page, where)
    page.set_viewport_size(size)
