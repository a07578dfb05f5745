"""Feed documents to HazardEvents: one entry point that recognises what it was given.

`parse_document` is what other parts (triage's backtest, the `standby fetch` command) call;
the poller calls `read_document` for the rejections and dropped fields it counts.
"""

from __future__ import annotations

import json
import re

from schemas.hazards import HazardEvent
from services.common.errors import SourceError
from services.ingester import places
from services.ingester.sources import (
    gdacs_api,
    gdacs_rss,
    pager,
    reliefweb,
    usgs,
    usgs_shapes,
    usgs_typed,
)
from services.ingester.sources.base import (
    DocumentReason,
    DocumentRepair,
    ItemReason,
    ParseResult,
    Rejection,
    document_error,
)
from services.ingester.sources.gdacs_rss import ItemMemo
from services.ingester.sources.safety import (
    DEFAULT_MAX_BYTES,
    check_size,
    parse_json,
    strip_prologue,
)

__all__ = [
    "DocumentReason",
    "DocumentRepair",
    "ItemMemo",
    "ItemReason",
    "ParseResult",
    "Rejection",
    "SourceError",
    "parse_document",
    "read_document",
]

_PAGER_XML = re.compile(rb"<pager[\s>]")
_HTML = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)


def parse_document(
    data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES
) -> list[HazardEvent]:
    """Normalise a saved or fetched feed document; raise SourceError when it cannot be read."""
    return read_document(data, name=name, max_bytes=max_bytes).events


def read_document(
    data: bytes,
    *,
    name: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    memo: ItemMemo | None = None,
) -> ParseResult:
    """Recognise a GDACS RSS, GDACS GeoJSON, USGS GeoJSON or ReliefWeb JSON document and
    normalise it.

    A poller passes its `memo` so that RSS items unchanged since its last document are not
    parsed again.
    """
    try:
        result = _read(data, max_bytes, memo)
    except SourceError as err:
        if name:
            raise SourceError(err.reason, f"{name}: {err.detail}") from err
        raise
    except RecursionError as err:
        raise document_error(
            DocumentReason.MALFORMED, f"{name or 'document'}: nested too deeply"
        ) from err
    if result.kind.startswith("usgs"):
        # Placed as the reader built them, by their points: what a point does not place,
        # nothing else of a USGS event would (no names, codes or GLIDE number).
        if memo is not None:
            memo.features = {(e.source_id, e.version): e for e in result.events}
        return result
    # Every other source's events are placed the same way, after its own parser.
    places.prefetch(result.events)
    result.events = [places.resolve(event) for event in result.events]
    return result


def _read(data: bytes, max_bytes: int, memo: ItemMemo | None) -> ParseResult:
    check_size(data, max_bytes)
    body, repairs = strip_prologue(data)
    head = body[:1024].lstrip()
    if not head:
        raise document_error(DocumentReason.EMPTY, "the document is empty")
    if _HTML.match(head):
        raise document_error(DocumentReason.NOT_A_FEED, "an HTML page, not a feed")
    if head.startswith(b"<"):
        if _PAGER_XML.search(body[:2048]):
            raise document_error(
                DocumentReason.NOT_A_FEED,
                "a USGS PAGER pager.xml: read through its event's detail document, not as a feed",
            )
        result = gdacs_rss.parse(body, memo)
    elif head[:1] in (b"{", b"[") or _utf16_or_32_json(head):
        result = _read_json(body, memo)
    else:
        raise document_error(DocumentReason.NOT_A_FEED, f"starts with {head[:20]!r}")
    result.repairs = repairs
    return result


def _utf16_or_32_json(head: bytes) -> bool:
    # JSON may come in UTF-16/32, whose first byte is not `{`; json.loads detects those.
    if b"\x00" not in head[:4] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    try:
        text = head[:64].decode(json.detect_encoding(head), errors="ignore")
    except LookupError:
        return False
    return text.lstrip("\ufeff \t\r\n\x00")[:1] in ("{", "[")


def _read_json(body: bytes, memo: ItemMemo | None) -> ParseResult:
    # A USGS feed decoded typed where it can be, its usual features read without a dict
    # each; any other document, or a USGS one in any way unusual, is read untyped.
    collection = usgs_shapes.decode(body)
    if collection is not None:
        return usgs_typed.parse(collection, memo)
    document = parse_json(body)
    if usgs.looks_like(document):
        return usgs.parse(document, memo)
    if gdacs_api.looks_like(document):
        return gdacs_api.parse(document)
    if reliefweb.looks_like(document):
        return reliefweb.parse(document)
    product = pager.product_kind(document)
    if product is not None:
        raise document_error(
            DocumentReason.NOT_A_FEED,
            f"a USGS PAGER {product}: read through its event's detail document, not as a feed",
        )
    raise document_error(
        DocumentReason.NOT_A_FEED,
        "JSON that is neither GDACS nor USGS GeoJSON nor a ReliefWeb response",
    )
