"""Signed action links: HMAC-signed, expiring, naming activation, officer and action.

Signing and checking are pure (the clock is passed in); single use is the ledger's job
(`services.duty.timeline.spend_token`), so a token is refused when it is forged, altered,
expired, for another activation, officer or action, or already spent.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.common.signed_tokens import Keys, LinkRefusedError, TokenSerializer, expired
from services.duty.states import Action


class Refusal(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"
    WRONG_ACTIVATION = "wrong_activation"
    WRONG_OFFICER = "wrong_officer"
    WRONG_ACTION = "wrong_action"
    SPENT = "spent"
    OFF_ROTA = "off_rota"  # the officer left the rota after the link was sent


class TokenRefusedError(LinkRefusedError[Refusal]):
    """A link token cannot be used; `reason` says why (shown to the person, never the key)."""


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: one action, by one officer, on one activation, until a time."""

    activation_id: UUID
    officer_id: str
    action: Action
    nonce: str
    expires_at: datetime


class LinkSigner:
    """Issue and check action tokens with one secret key."""

    def __init__(self, key: Keys, ttl: timedelta) -> None:
        self._tokens = TokenSerializer(key, "standby.duty.action-link", ttl)
        self.ttl = ttl

    def expires_at(self, now: datetime) -> datetime:
        """When a link issued now stops working (tokens carry whole seconds)."""
        return self._tokens.expires_at(now)

    def issue(self, activation_id: UUID, officer_id: str, action: Action, now: datetime) -> str:
        """Sign a token for one action by one officer on one activation."""
        claims = {
            "a": str(activation_id),
            "o": officer_id,
            "x": action.value,
            "n": secrets.token_urlsafe(12),
        }
        return self._tokens.sign(claims, now)

    def check(
        self,
        token: str,
        *,
        now: datetime,
        action: Action,
        activation_id: UUID | None = None,
        officers: Collection[str] | None = None,
    ) -> Grant:
        """Return the grant of a token; raise TokenRefusedError when it must not be honoured."""
        grant = self.read(token)
        if expired(grant.expires_at, now):
            raise TokenRefusedError(Refusal.EXPIRED)
        if activation_id is not None and grant.activation_id != activation_id:
            raise TokenRefusedError(Refusal.WRONG_ACTIVATION)
        if grant.action is not action:
            raise TokenRefusedError(Refusal.WRONG_ACTION)
        if officers is not None and grant.officer_id not in officers:
            raise TokenRefusedError(Refusal.WRONG_OFFICER)
        return grant

    def read(self, token: str) -> Grant:
        """Verify the signature and decode the grant, without judging expiry or purpose."""
        return self._tokens.read(token, _grant, lambda: TokenRefusedError(Refusal.FORGED))


def _grant(claims: Any, expires_at: datetime) -> Grant:
    return Grant(
        UUID(claims["a"]), str(claims["o"]), Action(claims["x"]), str(claims["n"]), expires_at
    )
