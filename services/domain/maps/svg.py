"""Draw a scene as an SVG string: shapes, layers, legend — pure, no I/O after the outlines load.

Only presentation attributes, never `style`: the console's CSP forbids inline styles, and a
rasteriser reads the same attributes, so the page and the mail's PNG are one drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from schemas.hazards import AlertLevel, HazardType
from schemas.members import Language
from schemas.responses import AnswerKind
from services.domain.maps.describe import describe
from services.domain.maps.projection import View, fit
from services.domain.maps.scene import NEAR_KM, Scene
from services.domain.maps.words import ANSWERS, alert_name, point_name, word
from services.domain.maps.world import Point, country_at, world

# Japanese text asks for a Japanese face first, so a rasteriser does not fall back to a serif.
FONTS = {
    Language.EN: "DejaVu Sans, Noto Sans CJK JP, sans-serif",
    Language.JA: "Noto Sans CJK JP, Noto Sans JP, DejaVu Sans, sans-serif",
}
SEA, LAND, BORDER, INK = "#d4e5f2", "#f1eee8", "#a19c91", "#1f1f1f"
# Fill and outline per alert; the outline stays dark enough to read against the sea.
ALERT_FILL = {
    AlertLevel.RED: ("#f2a39b", "#a3241b"),
    AlertLevel.ORANGE: ("#f7c98a", "#8a4b00"),
    AlertLevel.GREEN: ("#acd9a4", "#24662a"),
    None: ("#cfc8ee", "#4b3f8f"),
}
HAZARD_INK = "#b3121b"
PRESENCE_INK = "#0d4f9e"
WAREHOUSE_INK, NEAREST_INK = "#5b3a29", "#c05600"
ANSWER_INK = {
    AnswerKind.CAN_DEPLOY: "#1b6b2a",
    AnswerKind.ON_SITE: "#00695c",
    AnswerKind.NOT_THIS_TIME: "#6b6b6b",
    AnswerKind.OFFER_SUPPORT: "#6a1b9a",
}


@dataclass(frozen=True)
class DrawnMap:
    """The SVG, its text alternative, and the words a page puts around it."""

    svg: str
    view: View
    off_map: frozenset[str]
    lines: list[str]
    language: Language

    @property
    def heading(self) -> str:
        return word(self.language, "heading")

    @property
    def in_words(self) -> str:
        return word(self.language, "in_words")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _path(points: list[Point]) -> str:
    head, *rest = points
    return (
        f"M{_fmt(head[0])} {_fmt(head[1])}"
        + "".join(f"L{_fmt(x)} {_fmt(y)}" for x, y in rest)
        + "Z"
    )


def _focus(scene: Scene) -> list[Point]:
    """The points the view must hold: the hazard, its area and track, and the nearest stock
    when it is near (other warehouses show when they fall inside that view)."""
    points: list[Point] = []
    if scene.point:
        points.append(scene.point)
    if scene.area:
        points += [(scene.area[0], scene.area[1]), (scene.area[2], scene.area[3])]
    points += list(scene.track)
    if not points:
        points += [world()[iso3].label for iso3 in scene.affected if iso3 in world()]
    nearest = scene.nearest
    if nearest and nearest.distance_km is not None and nearest.distance_km <= NEAR_KM:
        points.append(nearest.at)
    return points


def _countries(scene: Scene, view: View) -> list[str]:
    fill, stroke = ALERT_FILL[scene.alert]
    land, affected = [], []
    for iso3, shape in world().items():
        pieces = []
        for polygon in shape.polygons:
            shift = view.shift_for(polygon.bounds)
            if view.sees(polygon.bounds, shift):
                pieces += [_path(view.ring(ring, shift)) for ring in polygon.rings]
        if not pieces:
            continue
        d = "".join(pieces)
        if iso3 in scene.affected:
            affected.append(
                f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="1.2" '
                f'fill-rule="evenodd" data-iso3="{iso3}" class="affected"/>'
            )
        else:
            land.append(
                f'<path d="{d}" fill="{LAND}" stroke="{BORDER}" stroke-width="0.6" '
                f'fill-rule="evenodd" data-iso3="{iso3}"/>'
            )
    # Affected countries last, so their outline is not hidden under a neighbour's.
    return land + affected


def _text(x: float, y: float, text: str, *, size: int = 14, anchor: str = "start") -> str:
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" '
        f'fill="{INK}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" '
        f'paint-order="stroke" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _hazard(scene: Scene, view: View) -> list[str]:
    out = []
    if scene.area:
        x0, y1 = view.xy(scene.area[0], scene.area[1])
        x1, y0 = view.xy(scene.area[2], scene.area[3])
        out.append(
            f'<rect x="{_fmt(min(x0, x1))}" y="{_fmt(y0)}" width="{_fmt(abs(x1 - x0))}" '
            f'height="{_fmt(y1 - y0)}" fill="none" stroke="{HAZARD_INK}" stroke-width="1.5" '
            f'stroke-dasharray="6 4" data-testid="reported-area"/>'
        )
    if len(scene.track) > 1:
        points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in (view.xy(*p) for p in scene.track))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{HAZARD_INK}" stroke-width="2" '
            f'data-testid="track"/>'
        )
    if scene.point:
        x, y = view.xy(*scene.point)
        ring = 13 if scene.hazard is HazardType.TROPICAL_CYCLONE else 11
        out.append(
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{ring}" fill="none" '
            f'stroke="{HAZARD_INK}" stroke-width="2"/>'
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="5" fill="{HAZARD_INK}" stroke="#ffffff" '
            f'stroke-width="1.5" data-testid="epicentre"/>'
        )
    return out


def _clear_of_hazard(scene: Scene, view: View, x: float, y: float, gap: float) -> Point:
    """Move a marker that would sit on the hazard's point to beside it."""
    if scene.point is None:
        return x, y
    hx, hy = view.xy(*scene.point)
    if abs(x - hx) < gap and abs(y - hy) < gap:
        return hx + gap, hy
    return x, y


def _labels(scene: Scene, view: View) -> list[str]:
    out = []
    for iso3, name in scene.affected.items():
        shape = world().get(iso3)
        if shape and view.inside(*shape.label, margin=20):
            x, y = view.xy(*shape.label)
            if scene.point is not None:
                hx, hy = view.xy(*scene.point)
                if abs(x - hx) < 60 and -4 < hy - (y - 14) < 24:
                    y = hy + 44  # under the hazard's mark, not across it
            out.append(_text(x, y - 14, name, size=15, anchor="middle"))
    return out


def _presence_xy(scene: Scene, view: View, iso3: str) -> Point | None:
    """Where the members present in an affected country are drawn: at the country's label
    point when the view holds it; else, zoomed in on the hazard, beside the hazard's point
    when that lies in the country (or off the coast of the first one named)."""
    shape = world().get(iso3)
    if shape is None:
        return None
    if view.inside(*shape.label, margin=10):
        return _clear_of_hazard(scene, view, *view.xy(*shape.label), gap=22)
    if scene.point is None or not view.inside(*scene.point, margin=10):
        return None
    offshore_of_first = country_at(*scene.point) is None and iso3 == next(iter(scene.affected))
    if shape.contains(*scene.point) or offshore_of_first:
        return _clear_of_hazard(scene, view, *view.xy(*scene.point), gap=22)
    return None


def _members(scene: Scene, view: View, drawn: set[str]) -> list[str]:
    out = []
    for presence in scene.presences:
        found = _presence_xy(scene, view, presence.iso3)
        if found is None:
            continue
        x, y = found
        drawn.add("presence")
        count = len(presence.organisations)
        out.append(
            f'<g data-testid="presence" data-iso3="{presence.iso3}">'
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="9" fill="{PRESENCE_INK}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
            f'<text x="{_fmt(x)}" y="{_fmt(y + 4)}" font-size="12" '
            f'fill="#ffffff" text-anchor="middle">{count}</text></g>'
        )
    return out


def _warehouses(scene: Scene, view: View, drawn: set[str]) -> tuple[list[str], frozenset[str]]:
    out, off = [], set()
    for w in reversed(scene.warehouses):  # the nearest drawn last, on top
        if not view.inside(*w.at, margin=6):
            off.add(w.place)
            continue
        x, y = view.xy(*w.at)
        half = 7 if w.nearest else 5
        ink = NEAREST_INK if w.nearest else WAREHOUSE_INK
        flag = ' data-nearest="1"' if w.nearest else ""
        drawn.add("nearest" if w.nearest else "warehouse")
        out.append(
            f'<rect x="{_fmt(x - half)}" y="{_fmt(y - half)}" width="{2 * half}" '
            f'height="{2 * half}" fill="{ink}" stroke="#ffffff" stroke-width="1.5" '
            f'data-testid="warehouse" data-place="{escape(w.place)}"{flag}/>'
        )
        if w.nearest:
            label = f"{word(scene.language, 'nearest')}: {w.place}"
            # Written on the side away from the hazard's mark, so neither hides the other.
            east = scene.point is None or view.xy(*scene.point)[0] <= x or x < view.width / 3
            out.append(
                _text(x + 11, y + 5, label) if east else _text(x - 11, y + 5, label, anchor="end")
            )
    return out, frozenset(off)


def _answers(scene: Scene, view: View, drawn: set[str]) -> list[str]:
    out = []
    placed: dict[Point, int] = {}
    for mark in scene.answers:
        if mark.present_in is not None:
            found = _presence_xy(scene, view, mark.present_in)
        elif mark.at is not None and view.inside(*mark.at, margin=10):
            found = view.xy(*mark.at)
        else:
            found = None
        if found is None:
            continue
        x, y = found
        # Several answers at one place fan out beside it, each its own dot.
        n = placed.get(found, 0)
        placed[found] = n + 1
        drawn.add(f"answer:{mark.answer.value}")
        cx, cy = x - 16 - 12 * (n % 4), y + 14 + 12 * (n // 4)
        out.append(
            f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="5" fill="{ANSWER_INK[mark.answer]}" '
            f'stroke="#ffffff" stroke-width="1.2" data-testid="answer" '
            f'data-answer="{mark.answer.value}"><title>{escape(mark.organisation)}</title></circle>'
        )
    return out


LEGEND_ROW = 20


def _legend_entries(scene: Scene, drawn: set[str]) -> list[tuple[str, str]]:
    language = scene.language
    fill, stroke = ALERT_FILL[scene.alert]
    entries: list[tuple[str, str]] = []
    if scene.point:
        symbol = f'<circle cx="8" cy="0" r="4" fill="{HAZARD_INK}"/>'
        entries.append((symbol, point_name(language, scene.hazard)))
    if scene.area:
        symbol = (
            f'<rect x="2" y="-5" width="12" height="10" fill="none" stroke="{HAZARD_INK}" '
            'stroke-dasharray="3 2"/>'
        )
        entries.append((symbol, word(language, "area")))
    if len(scene.track) > 1:
        symbol = f'<line x1="2" y1="0" x2="14" y2="0" stroke="{HAZARD_INK}" stroke-width="2"/>'
        entries.append((symbol, word(language, "track")))
    if scene.affected:
        what = (
            word(language, "affected", alert=alert_name(language, scene.alert))
            if scene.alert
            else word(language, "affected_plain")
        )
        symbol = f'<rect x="2" y="-5" width="12" height="10" fill="{fill}" stroke="{stroke}"/>'
        entries.append((symbol, what))
    if "presence" in drawn:
        symbol = f'<circle cx="8" cy="0" r="5" fill="{PRESENCE_INK}"/>'
        entries.append((symbol, word(language, "members")))
    if "warehouse" in drawn:
        symbol = f'<rect x="4" y="-4" width="8" height="8" fill="{WAREHOUSE_INK}"/>'
        entries.append((symbol, word(language, "warehouse")))
    if "nearest" in drawn:
        symbol = f'<rect x="2" y="-6" width="12" height="12" fill="{NEAREST_INK}"/>'
        entries.append((symbol, word(language, "nearest")))
    for kind in AnswerKind:
        if f"answer:{kind.value}" in drawn:
            symbol = f'<circle cx="8" cy="0" r="5" fill="{ANSWER_INK[kind]}"/>'
            entries.append((symbol, ANSWERS[language][kind]))
    return entries


def _legend(entries: list[tuple[str, str]], top: int, width: int) -> list[str]:
    """A strip under the map, two entries a row, so no symbol hides a place."""
    rows = (len(entries) + 1) // 2
    out = [
        f'<rect x="0" y="{top}" width="{width}" height="{rows * LEGEND_ROW + 8}" fill="#ffffff"/>'
    ]
    for i, (symbol, label) in enumerate(entries):
        x, y = 6 + (width // 2) * (i % 2), top + 4 + LEGEND_ROW * (i // 2) + LEGEND_ROW // 2
        out.append(f'<g transform="translate({x} {y})">{symbol}</g>')
        out.append(
            f'<text x="{x + 22}" y="{y + 5}" font-size="14" fill="{INK}">{escape(label)}</text>'
        )
    return out


def draw(
    scene: Scene, width: int = 560, height: int = 340, *, ident: str = "incident-map"
) -> DrawnMap:
    """Draw the scene: a map `height` tall, its legend below; `ident` prefixes the ids the
    text alternative is named by."""
    view = fit(_focus(scene), width, height)
    drawn: set[str] = set()
    marks, off_map = _warehouses(scene, view, drawn)
    members, answers = _members(scene, view, drawn), _answers(scene, view, drawn)
    entries = _legend_entries(scene, drawn)
    total = height + ((len(entries) + 1) // 2) * LEGEND_ROW + 8
    lines = describe(scene, off_map)
    title = word(scene.language, "map_of", title=scene.title)
    body = [
        f'<rect width="{width}" height="{height}" fill="{SEA}"/>',
        *_countries(scene, view),
        *_hazard(scene, view),
        *_labels(scene, view),
        *members,
        *marks,
        *answers,
        f'<text x="{width - 6}" y="{height - 6}" font-size="10" '
        f'fill="{INK}" text-anchor="end">{word(scene.language, "source")}</text>',
        *_legend(entries, height, width),
    ]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" '
        f'width="{width}" height="{total}" role="img" class="incident-map" '
        f'aria-labelledby="{ident}-title {ident}-desc" data-testid="incident-map" '
        f'lang="{scene.language.value}" font-family="{FONTS[scene.language]}">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(" ".join(lines))}</desc>' + "".join(body) + "</svg>"
    )
    return DrawnMap(svg, view, off_map, lines, scene.language)
