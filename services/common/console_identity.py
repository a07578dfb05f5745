"""One console for officers, pages from more than one service: the same-origin registry.

The duty console serves the officers' pages and forwards the path prefixes registered here to
the web app of the service that owns them (decision 0703), adding who the logged-in officer is
in a signed header. The owning service trusts that header only with a valid, fresh signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OFFICER_HEADER = "x-standby-officer"
# `layout.html`, the page the console and the pages served on its origin extend; a service's
# templates look here after their own folder.
LAYOUTS = Path(__file__).resolve().parent / "templates"
_MAX_AGE_S = 60.0


@dataclass(frozen=True)
class WebMount:
    """A path prefix of the console that another service serves."""

    prefix: str
    service: str


# Members answer the roll-call under /respond; officers see the board under /rollcall.
WEB_MOUNTS: tuple[WebMount, ...] = (
    WebMount("/respond", "response"),
    WebMount("/rollcall", "response"),
)


@dataclass(frozen=True)
class OfficerIdentity:
    """The logged-in officer as the console vouches for them."""

    officer_id: str
    language: str
    csrf: str


def sign_identity(
    key: bytes | Sequence[bytes], identity: OfficerIdentity, now: float | None = None
) -> str:
    """Encode an identity with a time and an HMAC (the ring's last key), for the header."""
    key = key if isinstance(key, bytes) else key[-1]
    body = json.dumps(
        {
            "o": identity.officer_id,
            "l": identity.language,
            "c": identity.csrf,
            "t": int(now if now is not None else time.time()),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{mac}.{body}"


def read_identity(
    key: bytes | Sequence[bytes], header: str | None, now: float | None = None
) -> OfficerIdentity | None:
    """Return the identity in a header when its signature (by any key of the ring) is valid
    and fresh, else None."""
    if not header or "." not in header or len(header) > 2048:
        return None
    mac, body = header.split(".", 1)
    ring = [key] if isinstance(key, bytes) else list(key)
    if not any(
        hmac.compare_digest(mac, hmac.new(k, body.encode(), hashlib.sha256).hexdigest())
        for k in ring
    ):
        return None
    try:
        data: Any = json.loads(body)
        stamp = float(data["t"])
        identity = OfficerIdentity(str(data["o"]), str(data["l"]), str(data["c"]))
    except (ValueError, KeyError, TypeError):
        return None
    current = now if now is not None else time.time()
    if abs(current - stamp) > _MAX_AGE_S:
        return None
    return identity
