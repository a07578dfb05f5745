"""Signed, expiring URL-safe tokens with one spelling per grant: the officers' action links
and the members' answer links both carry one."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeAlias, TypeVar

from itsdangerous import BadSignature, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from services.common.errors import StandbyError

_MAX_TOKEN_CHARS = 1024

# One key, or a key ring: retired keys first, the signing key last (they still verify).
Keys: TypeAlias = str | bytes | Sequence[str | bytes]

ReasonT = TypeVar("ReasonT", bound=StrEnum)
GrantT = TypeVar("GrantT")


class _UncompressedSerializer(URLSafeSerializer):
    """itsdangerous's URL-safe tokens, the payload never zlib-compressed.

    On a ~100-byte payload compression saves a dozen characters and costs most of the
    signing time (zlib sets up its whole state on every call): in a fan-out, one answer link
    a mail. Reading takes both forms, so links issued compressed before keep working.
    """

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class TokenSerializer:
    """Sign claims with one key, salt and lifetime; read back only tokens this key signed,
    verbatim. The expiry travels in the claims as whole seconds since the epoch (`e`)."""

    def __init__(self, key: Keys, salt: str, ttl: timedelta) -> None:
        ring = [k.encode() if isinstance(k, str) else k for k in _ring(key)]
        if not ring or not all(ring):
            raise ValueError("the signing key must not be empty")
        self._serializer = _UncompressedSerializer(ring, salt=salt)
        self.ttl = ttl

    def expires_at(self, now: datetime) -> datetime:
        """When a token signed now stops working: `ttl` later, in whole seconds, in now's zone."""
        return datetime.fromtimestamp(int((now + self.ttl).timestamp()), now.tzinfo)

    def sign(self, claims: dict[str, Any], now: datetime) -> str:
        """Sign the claims, valid until `expires_at(now)`."""
        token: str = self._serializer.dumps({**claims, "e": int(self.expires_at(now).timestamp())})
        return token

    def verify(self, token: str) -> tuple[Any, datetime]:
        """The claims and their expiry, not judged; BadSignature for a forged, over-long or
        re-encoded token, KeyError, TypeError or ValueError for claims this key never signs."""
        if len(token) > _MAX_TOKEN_CHARS:
            raise BadSignature("token too long")
        claims = self._serializer.loads(token)
        # One grant, one spelling. The payload is signed as it is spelled; the signature is
        # read by a lenient base64 decoder, so another spelling of it (padding bits,
        # characters the decoder skips) would be another link to the same grant.
        signature = token.rsplit(".", 1)[1]
        if not hmac.compare_digest(base64_encode(base64_decode(signature)).decode(), signature):
            raise BadSignature("token is not in canonical form")
        return claims, datetime.fromtimestamp(int(claims["e"]), UTC)

    def read(
        self,
        token: str,
        grant: Callable[[Any, datetime], GrantT],
        forged: Callable[[], Exception],
    ) -> GrantT:
        """Verify a token and build its grant from the claims and their expiry, judging
        neither; raise `forged()` for a token this key never signed or a grant its claims
        cannot make."""
        try:
            claims, expires_at = self.verify(token)
            return grant(claims, expires_at)
        except (BadSignature, KeyError, TypeError, ValueError) as err:
            raise forged() from err


def _ring(key: Keys) -> list[str | bytes]:
    return [key] if isinstance(key, (str, bytes)) else list(key)


def expired(expires_at: datetime, now: datetime) -> bool:
    """A token is spent by time from its expiry second on."""
    return now.timestamp() >= expires_at.timestamp()


class LinkRefusedError(StandbyError, Generic[ReasonT]):
    """A signed link cannot be honoured; `reason`, from a closed set, says why (never the key)."""

    what = "link"

    def __init__(self, reason: ReasonT) -> None:
        super().__init__(f"{self.what} refused: {reason.value}")
        self.reason = reason
