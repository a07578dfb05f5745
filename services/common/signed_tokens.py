"""Signed URL-safe tokens with one spelling per payload: the officers' action links and the
members' answer links both carry one."""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

_MAX_TOKEN_CHARS = 1024


class TokenSerializer:
    """Sign payloads with one key and salt; read back only tokens this key signed, verbatim."""

    def __init__(self, key: str | bytes, salt: str) -> None:
        if not key:
            raise ValueError("the signing key must not be empty")
        self._serializer = URLSafeSerializer(key, salt=salt)

    def dumps(self, payload: dict[str, Any]) -> str:
        token: str = self._serializer.dumps(payload)
        return token

    def loads(self, token: str) -> Any:
        """The payload; BadSignature for a forged, over-long or re-encoded token."""
        if len(token) > _MAX_TOKEN_CHARS:
            raise BadSignature("token too long")
        payload = self._serializer.loads(token)
        # One grant, one spelling: a re-encoded token (padding bits, case) is not another link.
        if not hmac.compare_digest(self._serializer.dumps(payload), token):
            raise BadSignature("token is not in canonical form")
        return payload
