"""CAP 1.2 and Atom documents of duty's CAP messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from schemas.activations import IncidentSummary
from services.duty.cap.mapping import Kind, classify
from services.duty.cap.view import CapMessage
from services.duty.cap.words import (
    HAZARD_WORDS,
    LANGUAGES,
    LEVEL_ASKS,
    LEVEL_WORDS,
    NOTICE_ASKS,
    NOTICE_WORDS,
    PROGRAMME_ASKS,
    PROGRAMME_CLOSE_ASKS,
    SCORE_WORDS,
)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
# Characters XML 1.0 cannot carry at all; feed text (hostile input) may hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEADLINE_MAX = 160  # CAP 1.2 §3.2.2: keep headlines short for text-only devices


@dataclass(frozen=True)
class Publisher:
    """Who sends the alerts and where they are served."""

    sender: str
    name: str
    base_url: str  # e.g. https://console.example.org (no trailing slash)

    def url(self, identifier: str) -> str:
        return f"{self.base_url}/cap/{identifier}.xml"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/cap/feed.atom"


def cap_time(value: datetime) -> str:
    """CAP's date-time: whole seconds and a numeric offset ("Z" is not allowed)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def alert_xml(message: CapMessage, publisher: Publisher) -> bytes:
    """Write one message as a CAP 1.2 `<alert>` document."""
    record = message.activation
    alert = Element(f"{{{CAP_NS}}}alert")
    _text(alert, "identifier", message.identifier)
    _text(alert, "sender", publisher.sender)
    _text(alert, "sent", cap_time(message.sent))
    _text(alert, "status", "Actual")
    _text(alert, "msgType", message.msg_type)
    _text(alert, "scope", "Public")
    if message.references:
        _text(
            alert,
            "references",
            " ".join(
                f"{publisher.sender},{r.identifier},{cap_time(r.sent)}" for r in message.references
            ),
        )
    _text(alert, "incidents", str(record.incident_id))
    for language in LANGUAGES:
        _info(alert, language, message, publisher)
    return tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


def _info(alert: Element, language: str, message: CapMessage, publisher: Publisher) -> None:
    record = message.activation
    summary = record.summary
    kinds = classify(message.kind, record.level, summary.hazard_type, summary.alert_level)
    info = SubElement(alert, f"{{{CAP_NS}}}info")
    _text(info, "language", language)
    _text(info, "category", kinds.category)
    _text(info, "event", HAZARD_WORDS[language][summary.hazard_type])
    _text(info, "responseType", kinds.response_type)
    _text(info, "urgency", kinds.urgency)
    _text(info, "severity", kinds.severity)
    _text(info, "certainty", kinds.certainty)
    if summary.glide:
        _pair(info, "eventCode", "GLIDE", summary.glide)
    _text(info, "onset", cap_time(summary.event_time))
    _text(info, "senderName", publisher.name)
    _text(info, "headline", _headline(language, message, summary))
    _text(info, "description", _description(language, message))
    _text(info, "instruction", _instruction(language, message))
    sources = [link for link in summary.links if link.url.startswith(("https://", "http://"))]
    if sources:
        _text(info, "web", sources[0].url)
    _pair(info, "parameter", "standby:level", record.level.value)
    _pair(info, "parameter", "standby:score", f"{record.score:g}")
    for key in summary.sources:
        _pair(info, "parameter", "standby:source", key)
    for link in sources:
        resource = SubElement(info, f"{{{CAP_NS}}}resource")
        _text(resource, "resourceDesc", link.rel)
        _text(resource, "mimeType", CAP_MEDIA_TYPE if link.rel == "cap" else "text/html")
        _text(resource, "uri", link.url)
    _area(info, summary)


def _headline(language: str, message: CapMessage, summary: IncidentSummary) -> str:
    if message.kind is Kind.ACTIVATION:
        word = LEVEL_WORDS[language][message.activation.level]
    else:
        word = NOTICE_WORDS[language][message.kind]
    programme = (message.programme or {}).get(language)
    text = f"{word}: {programme} — {summary.title}" if programme else f"{word}: {summary.title}"
    return text if len(text) <= _HEADLINE_MAX else text[: _HEADLINE_MAX - 1] + "…"


def _description(language: str, message: CapMessage) -> str:
    record = message.activation
    ja = language == "ja-JP"
    lines = [((r.sentence_ja or r.sentence) if ja else r.sentence) for r in record.reasons]
    level = LEVEL_WORDS[language][record.level]
    lines.append(f"{level} ({SCORE_WORDS[language]} {record.score:g})")
    return "\n".join(lines)


def _instruction(language: str, message: CapMessage) -> str:
    if message.kind is Kind.ACTIVATION:
        return LEVEL_ASKS[language][message.activation.level]
    programme = (message.programme or {}).get(language)
    if programme:
        asks = PROGRAMME_CLOSE_ASKS if message.kind is Kind.CLOSE else PROGRAMME_ASKS
        return asks[language].format(programme=programme)
    return NOTICE_ASKS[language][message.kind]


def _area(info: Element, summary: IncidentSummary) -> None:
    shapes: list[tuple[str, str]] = []
    if summary.bbox is not None:
        west, south, east, north = summary.bbox
        corners = [(south, west), (south, east), (north, east), (north, west), (south, west)]
        shapes.append(("polygon", " ".join(f"{_deg(lat)},{_deg(lon)}" for lat, lon in corners)))
    if summary.lat is not None and summary.lon is not None:
        # The point the source gives, as a circle of radius 0: no extent is claimed.
        shapes.append(("circle", f"{_deg(summary.lat)},{_deg(summary.lon)} 0"))
    if not shapes and not summary.countries:
        return
    area = SubElement(info, f"{{{CAP_NS}}}area")
    _text(area, "areaDesc", ", ".join(summary.country_names) or summary.title)
    for name, value in shapes:
        _text(area, name, value)
    for code in summary.countries:
        _pair(area, "geocode", "ISO3166-1-alpha-3", code)


def _deg(value: float) -> str:
    """Degrees to four decimals (about 11 m), without trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _text(parent: Element, name: str, value: str) -> Element:
    element = SubElement(parent, f"{{{CAP_NS}}}{name}")
    element.text = _NOT_XML.sub("", value)
    return element


def _pair(parent: Element, name: str, value_name: str, value: str) -> None:
    element = SubElement(parent, f"{{{CAP_NS}}}{name}")
    _text(element, "valueName", value_name)
    _text(element, "value", value)


def atom_xml(messages: list[CapMessage], publisher: Publisher, now: datetime) -> bytes:
    """Index messages, newest first, in an Atom feed whose entries link to each CAP document."""
    # Unqualified names under a declared default namespace: ElementTree cannot write
    # unprefixed attributes (rel, href) with its default_namespace option.
    feed = Element("feed", xmlns=ATOM_NS)
    _atom(feed, "id", publisher.feed_url)
    _atom(feed, "title", f"{publisher.name}: CAP alerts")
    newest = max((m.sent for m in messages), default=now)
    _atom(feed, "updated", cap_time(newest))
    _atom(feed, "link").attrib.update(rel="self", type=ATOM_MEDIA_TYPE, href=publisher.feed_url)
    author = _atom(feed, "author")
    _atom(author, "name", publisher.name)
    for message in sorted(messages, key=lambda m: m.sent, reverse=True):
        summary = message.activation.summary
        entry = _atom(feed, "entry")
        _atom(entry, "id", publisher.url(message.identifier))
        _atom(entry, "title", _headline("en-US", message, summary))
        _atom(entry, "updated", cap_time(message.sent))
        _atom(entry, "published", cap_time(message.sent))
        _atom(entry, "link").attrib.update(
            rel="alternate", type=CAP_MEDIA_TYPE, href=publisher.url(message.identifier)
        )
        _atom(entry, "summary", _description("en-US", message))
        _atom(entry, "category", "").set("term", message.msg_type)
    return tostring(feed, encoding="utf-8", xml_declaration=True)


def _atom(parent: Element, name: str, value: str = "") -> Element:
    element = SubElement(parent, name)
    if value:
        element.text = _NOT_XML.sub("", value)
    return element
