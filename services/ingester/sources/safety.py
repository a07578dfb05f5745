"""Reading untrusted bytes: size cap, XML without entities or DTD tricks, JSON with a clear error."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.ingester.sources.base import DocumentReason, DocumentRepair, document_error

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
# U+FEFF's UTF-8 bytes read as Latin-1 and encoded as UTF-8 again ("ï»¿").
_REENCODED_BOM = _BOM.decode("latin-1").encode("utf-8")
_BLANKS = b" \t\r\n"


def check_size(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse a document larger than the cap before any parser sees it."""
    if len(data) > max_bytes:
        raise document_error(
            DocumentReason.TOO_LARGE, f"{len(data)} bytes is over the cap of {max_bytes}"
        )


def strip_prologue(data: bytes) -> tuple[bytes, list[DocumentRepair]]:
    """Remove byte-order marks, re-encoded ones, and blanks before an XML declaration.

    Blanks are removed only where a declaration or a mark follows them: elsewhere (before
    `<rss>` or `{`) they are legal and left for the parser.
    """
    repairs: list[DocumentRepair] = []
    body = data
    while True:
        if body.startswith(_BOM):
            body, repair = body[len(_BOM) :], DocumentRepair.BOM
        elif body.startswith(_REENCODED_BOM):
            body, repair = body[len(_REENCODED_BOM) :], DocumentRepair.REENCODED_BOM
        else:
            rest = body.lstrip(_BLANKS)
            if len(rest) == len(body) or not rest.startswith((b"<?xml", _BOM, _REENCODED_BOM)):
                return body, repairs
            body, repair = rest, DocumentRepair.LEADING_WHITESPACE
        if repair not in repairs:
            repairs.append(repair)


def parse_xml(data: bytes) -> Element:
    """Parse XML with entity declarations and external references forbidden."""
    try:
        # forbid_dtd: a feed has no business declaring a DTD, and refusing it stops
        # entity-expansion and external-entity documents before any expansion happens.
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise document_error(DocumentReason.UNSAFE_XML, f"{type(err).__name__}: {err}") from err
    except ParseError as err:
        reason = DocumentReason.MALFORMED
        if "encoding" in str(err).lower() or _undecodable(data):
            reason = DocumentReason.ENCODING
        raise document_error(reason, f"XML: {err}") from err
    except (ValueError, LookupError) as err:
        # An unknown encoding name in the XML declaration surfaces as LookupError.
        raise document_error(DocumentReason.ENCODING, f"XML: {err}") from err


def _undecodable(data: bytes) -> bool:
    head = data[:200].lower()
    if b"encoding=" in head and b"utf-8" not in head:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


_decode = msgspec.json.Decoder().decode


def parse_json(data: bytes) -> Any:
    """Parse JSON bytes (UTF-8/16/32), naming what is wrong when it cannot.

    msgspec reads plain UTF-8 JSON into the same values as `json.loads` at about half its
    cost; whatever it declines (NaN, a number past a float's range, a lone surrogate,
    UTF-16, nesting past its limit) is read by `json.loads`, so every document is read, or
    refused, exactly as `json.loads` reads or refuses it (decision 0743).
    """
    try:
        return _decode(data)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(data)
    except UnicodeDecodeError as err:
        raise document_error(DocumentReason.ENCODING, f"JSON: {err}") from err
    except json.JSONDecodeError as err:
        raise document_error(DocumentReason.MALFORMED, f"JSON: {err}") from err
    except RecursionError as err:
        raise document_error(DocumentReason.MALFORMED, "JSON nested too deeply") from err
    except ValueError as err:
        # An integer of more than 4,300 digits is refused by int() itself, not the decoder.
        raise document_error(DocumentReason.MALFORMED, f"JSON: {err}") from err
