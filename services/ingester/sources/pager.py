"""USGS PAGER product files: the fatality and economic alert levels of one losspager version.

`json/alerts.json` (PAGER 4) and `pager.xml` (older PAGER, and still published) both state
the two levels; the event's own level is the higher of the two. `losses.json` and
`exposures.json` hold estimates and exposure, not levels: they are recognised only so that
a document given to the wrong reader is refused by name.
"""

from __future__ import annotations

from typing import Any

from schemas.hazards import Pager, PagerLevel
from services.ingester.sources.base import DocumentReason, document_error
from services.ingester.sources.safety import parse_json, parse_xml

_LEVELS = {level.value: level for level in PagerLevel}
_PRODUCT_KEYS = {
    "alerts.json": ("fatality", "economic"),
    "losses.json": ("empirical_fatality", "empirical_economic"),
    "exposures.json": ("population_exposure", "economic_exposure"),
}


def product_kind(document: Any) -> str | None:
    """Name the PAGER product file a decoded JSON document is, if it is one."""
    if isinstance(document, list) and len(document) == 1:
        document = document[0]  # some tools save the object wrapped in a list
    if not isinstance(document, dict):
        return None
    for name, keys in _PRODUCT_KEYS.items():
        if any(key in document for key in keys):
            return name
    return None


def levels_from_alerts_json(data: bytes) -> tuple[PagerLevel | None, PagerLevel | None]:
    """(fatality, economic) levels from an `alerts.json`; SourceError when unreadable."""
    document = parse_json(data)
    if isinstance(document, list) and len(document) == 1:
        document = document[0]
    if not isinstance(document, dict) or product_kind(document) != "alerts.json":
        raise document_error(DocumentReason.BAD_SHAPE, "not a PAGER alerts.json")
    return _level(document.get("fatality")), _level(document.get("economic"))


def levels_from_xml(data: bytes) -> tuple[PagerLevel | None, PagerLevel | None]:
    """(fatality, economic) levels from a `pager.xml`; SourceError when unreadable."""
    root = parse_xml(data)
    if root.tag != "pager":
        raise document_error(DocumentReason.BAD_SHAPE, f"<{root.tag[:40]}> is not a PAGER document")
    found: dict[str, PagerLevel | None] = {}
    for alert in root.iter("alert"):
        kind = alert.get("type", "")
        if kind in ("fatality", "economic") and kind not in found:
            found[kind] = _LEVELS.get(alert.get("level", "").strip().lower())
    return found.get("fatality"), found.get("economic")


def with_levels(pager: Pager, fatality: PagerLevel | None, economic: PagerLevel | None) -> Pager:
    """Add the two levels; the event's level becomes the higher of them when both are known."""
    update: dict[str, Any] = {"fatality_alert": fatality, "economic_alert": economic}
    known = [level for level in (fatality, economic) if level is not None]
    if known and not pager.pending:
        update["alert"] = max(known, key=lambda level: level.rank)
    return pager.model_copy(update=update)


def _level(entry: Any) -> PagerLevel | None:
    if not isinstance(entry, dict):
        return None
    level = entry.get("level")
    return _LEVELS.get(level.strip().lower()) if isinstance(level, str) else None
