"""Build email bytes: a shared MIME body per language, and per-contact headers in front of it.

The body (multipart/alternative, plain text + HTML, UTF-8) is serialised once per language;
each contact's message is its own header block followed by those bytes. Headers go through
the stdlib's SMTP policy, so Japanese names and subjects are RFC 2047 encoded-words that
every common client decodes, and lines are folded and CRLF-terminated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from schemas.base import utcnow
from services.common.errors import DeliveryError
from services.notifier.rendering import Rendered

_POLICY = policy.SMTP


@dataclass(frozen=True, slots=True)
class MailBody:
    """A rendered message's MIME body and the headers that describe it."""

    subject: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def message_id_for(key: str, domain: str) -> str:
    """Derive the Message-ID of a delivery from its idempotency key."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def thread_root_id(incident_id: str, contact_ref: str, domain: str) -> str:
    """Name the root of an incident's thread for one contact."""
    return message_id_for(f"thread:{incident_id}:{contact_ref}", domain)


def build_body(rendered: Rendered) -> MailBody:
    """Serialise the MIME body (text + HTML alternatives) once for every recipient."""
    message = EmailMessage(policy=_POLICY)
    message["MIME-Version"] = "1.0"
    cte = "7bit" if rendered.text.isascii() else "base64"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte=cte)
    html_cte = "7bit" if rendered.html.isascii() else "base64"
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte=html_cte)
    message["Content-Language"] = rendered.language.value
    return MailBody(subject=rendered.subject, content=message.as_bytes(policy=_POLICY))


def address(name: str | None, email: str) -> str:
    """Format a display name and address for a header; raise a permanent error if invalid."""
    try:
        return str(Address(display_name=name or "", addr_spec=email))
    except (HeaderParseError, ValueError, IndexError) as err:
        raise DeliveryError(f"invalid email address {email!r}", permanent=True) from err


def headers(
    *,
    sender: str,
    recipient: str,
    subject: str,
    message_id: str,
    thread_root: str | None,
    kind: str,
) -> bytes:
    """Build one contact's header block; the message is this followed by the shared body."""
    fields = [
        ("From", sender),
        ("To", recipient),
        ("Subject", subject),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", message_id),
    ]
    if thread_root is not None and thread_root != message_id:
        fields += [("In-Reply-To", thread_root), ("References", thread_root)]
    fields += [
        ("Auto-Submitted", "auto-generated"),
        ("X-Standby-Kind", kind),
    ]
    return "".join(
        _POLICY.header_factory(name, value).fold(policy=_POLICY) for name, value in fields
    ).encode("ascii")
