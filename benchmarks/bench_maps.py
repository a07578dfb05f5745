"""Incident maps: what drawing one costs beside what a page or an alert already costs.

In one process, on the example directory and a red earthquake in the Philippines:
- the board's/console's SVG (scene + drawing) against rendering the member alert's
  templates (both languages), the work every alert already does;
- the mail's PNG (drawing + rasterising at 480 px) against the same baseline;
- the bytes a member alert grows by when it carries the map, from its composed body.
Each round runs the baseline right before the measured work; the medians of the per-round
ratios are what to compare across machines.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.support import REPO, red_activation
from schemas.members import Language, MemberDirectory
from services.common.config_files import load_yaml_model
from services.domain.maps.scene import incident_scene
from services.domain.maps.svg import draw
from services.domain.maps.world import world
from services.notifier.map_image import alert_image
from services.notifier.mime import build_body
from services.notifier.rendering import Renderer

EXAMPLE = REPO / "deploy" / "members.example.yaml"
ROUNDS = 30


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _ratios(
    baseline: Callable[[], object], measured: Callable[[], object], rounds: int
) -> tuple[float, float, float]:
    """Median baseline and measured times, and the median of per-round ratios: each round
    runs the baseline right before the measured work, so a busy machine slows both alike."""
    pairs = [(_ms(baseline), _ms(measured)) for _ in range(rounds)]
    return (
        statistics.median(b for b, _ in pairs),
        statistics.median(m for _, m in pairs),
        statistics.median(m / b for b, m in pairs),
    )


def main() -> None:
    from email.headerregistry import Address

    directory = load_yaml_model(Path(EXAMPLE), MemberDirectory)
    activation = red_activation()
    summary = activation.summary
    renderer = Renderer()
    renderer.preload()
    started = time.perf_counter()
    world()
    print(f"outlines decoded once per process: {(time.perf_counter() - started) * 1000:.0f} ms")

    def baseline() -> None:
        for language in Language:
            renderer.member_alert(language, activation, directory.secretariat)

    def svg() -> None:
        for language in Language:
            draw(incident_scene(summary, directory, language))

    def png() -> None:
        for language in Language:
            alert_image(summary, language)

    base, drawn, svg_ratio = _ratios(baseline, svg, ROUNDS)
    _, rastered, png_ratio = _ratios(baseline, png, ROUNDS // 3)
    print(f"baseline: member alert templates, ja + en   {base:8.2f} ms")
    print(f"map SVG (scene + drawing), ja + en           {drawn:8.2f} ms  {svg_ratio:6.1f}x")
    print(f"mail PNG (drawing + 480 px raster), ja + en  {rastered:8.2f} ms  {png_ratio:6.1f}x")

    sender = Address("standby", addr_spec="standby@example.org")
    for language in Language:
        image = alert_image(summary, language)
        bare = renderer.member_alert(language, activation, directory.secretariat)
        mapped = renderer.member_alert(language, activation, directory.secretariat, image)
        plain = len(build_body(bare, sender, eightbit=True).content)
        carried = len(build_body(mapped, sender, eightbit=True).content)
        print(
            f"member alert ({language.value}): {plain:,} bytes without the map, "
            f"{carried:,} with it (+{carried - plain:,}; PNG {len(image.png):,} bytes, "
            f"{image.width}x{image.height})"
        )


if __name__ == "__main__":
    main()
