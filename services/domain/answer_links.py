"""Roll-call answer links: signed, expiring, bound to one organisation, contact and incident.

The notifier issues them (one per contact in every member alert and reminder); the response
service checks them. Both hold only this module and the answer key (services/common/keys.py),
so neither imports the other. Signing and checking are pure: the clock is passed in.
A link is not single-use: an organisation may change its answer until the programme launches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from uuid import UUID

from services.common.signed_tokens import Keys, LinkRefusedError, TokenSerializer, expired

ANSWER_PATH = "/respond"


class AnswerRefusal(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"
    WRONG_INCIDENT = "wrong_incident"
    WRONG_ORGANISATION = "wrong_organisation"
    CONTACT_REMOVED = "contact_removed"  # the contact left the directory after the mail


class AnswerLinkRefusedError(LinkRefusedError[AnswerRefusal]):
    """An answer link cannot be honoured; `reason` says why."""

    what = "answer link"


@dataclass(frozen=True)
class AnswerGrant:
    """What a valid link allows: one contact answers for one organisation about one incident."""

    incident_id: UUID
    organisation_id: str
    contact_id: str
    expires_at: datetime


def _answer_grant(claims: Any, expires_at: datetime) -> AnswerGrant:
    return AnswerGrant(UUID(claims["i"]), str(claims["o"]), str(claims["c"]), expires_at)


class AnswerLinkSigner:
    """Issue and check answer-link tokens with one key."""

    def __init__(self, key: Keys, ttl: timedelta) -> None:
        self._tokens = TokenSerializer(key, "standby.response.answer-link", ttl)
        self.ttl = ttl

    def issue(self, incident_id: UUID, organisation_id: str, contact_id: str, now: datetime) -> str:
        """Sign a token for one contact of one organisation about one incident."""
        claims = {"i": str(incident_id), "o": organisation_id, "c": contact_id}
        return self._tokens.sign(claims, now)

    def check(
        self, token: str, *, now: datetime, incident_id: UUID, organisation_id: str
    ) -> AnswerGrant:
        """Return the grant; raise AnswerLinkRefusedError unless it is for exactly this use."""
        grant = self.read(token)
        if grant.incident_id != incident_id:
            raise AnswerLinkRefusedError(AnswerRefusal.WRONG_INCIDENT)
        if grant.organisation_id != organisation_id:
            raise AnswerLinkRefusedError(AnswerRefusal.WRONG_ORGANISATION)
        if expired(grant.expires_at, now):
            raise AnswerLinkRefusedError(AnswerRefusal.EXPIRED)
        return grant

    def read(self, token: str) -> AnswerGrant:
        """Verify the signature and decode the grant, without judging its use."""
        return self._tokens.read(
            token, _answer_grant, lambda: AnswerLinkRefusedError(AnswerRefusal.FORGED)
        )

    def url(
        self,
        public_url: str,
        incident_id: UUID,
        organisation_id: str,
        contact_id: str,
        now: datetime,
        answer: str | None = None,
    ) -> str:
        """Build the link a member opens: the form for this organisation and incident."""
        token = self.issue(incident_id, organisation_id, contact_id, now)
        base = (
            f"{public_url.rstrip('/')}{ANSWER_PATH}/{incident_id}/"
            f"{quote(organisation_id, safe='')}/{token}"
        )
        return f"{base}?answer={answer}" if answer else base


def answer_link_signer(key: Keys, ttl_hours: float) -> AnswerLinkSigner:
    return AnswerLinkSigner(key, timedelta(hours=ttl_hours))
