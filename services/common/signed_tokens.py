"""Signed, expiring URL-safe tokens with one spelling per payload: the officers' action links
and the members' answer links both carry one."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from itsdangerous import BadSignature, URLSafeSerializer

from services.common.errors import StandbyError

_MAX_TOKEN_CHARS = 1024

ReasonT = TypeVar("ReasonT", bound=StrEnum)


class TokenSerializer:
    """Sign claims with one key, salt and lifetime; read back only tokens this key signed,
    verbatim. The expiry travels in the claims as whole seconds since the epoch (`e`)."""

    def __init__(self, key: str | bytes, salt: str, ttl: timedelta) -> None:
        if not key:
            raise ValueError("the signing key must not be empty")
        self._serializer = URLSafeSerializer(key, salt=salt)
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
        # One grant, one spelling: a re-encoded token (padding bits, case) is not another link.
        if not hmac.compare_digest(self._serializer.dumps(claims), token):
            raise BadSignature("token is not in canonical form")
        return claims, datetime.fromtimestamp(int(claims["e"]), UTC)


def expired(expires_at: datetime, now: datetime) -> bool:
    """A token is spent by time from its expiry second on."""
    return now.timestamp() >= expires_at.timestamp()


class LinkRefusedError(StandbyError, Generic[ReasonT]):
    """A signed link cannot be honoured; `reason`, from a closed set, says why (never the key)."""

    what = "link"

    def __init__(self, reason: ReasonT) -> None:
        super().__init__(f"{self.what} refused: {reason.value}")
        self.reason = reason
