"""The part of a member message that is each recipient's own: answer links and plan matches.

Messages are rendered once per language; the shared render carries `MARKER` where the
personal block goes, and the composer puts each recipient's block there before it builds
the mail (see `compose.py`). Links are signed per contact (services.domain.answer_links).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from jinja2 import Environment
from markupsafe import escape

from schemas.activations import IncidentSummary
from schemas.members import Contact, Language, Organisation
from schemas.responses import ANSWERS_BY_KIND, AnswerKind
from schemas.vocabulary import ANSWER_WORDS
from services.domain.answer_links import AnswerLinkSigner
from services.domain.plans import OrganisationMatch, match_organisation

MARKER = "@@standby-personal@@"
# Where a contact's signed answer link goes in its organisation's block: no escaping changes
# it, and no directory text holds it.
_LINK = "https://standby.invalid/answer-link"


@dataclass(frozen=True, slots=True)
class Personal:
    """One recipient's block in each of the message's forms."""

    text: str
    html: str
    chat: str


def answer_kinds(org: Organisation) -> tuple[AnswerKind, ...]:
    """Companies offer support, NGOs say whether they deploy, the observer is asked nothing."""
    return ANSWERS_BY_KIND[org.kind]


_NOTHING_TO_ANSWER = Personal(text="", html="", chat="")


class Personaliser:
    """Render each recipient's answer links and the organisation's own plan matches."""

    def __init__(
        self,
        env: Environment,
        signer: AnswerLinkSigner,
        public_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.env = env
        self.signer = signer
        self.public_url = public_url
        self.clock = clock
        self._matches: dict[tuple[str, str], OrganisationMatch] = {}
        self._blocks: dict[tuple[str, str, Language, bool], Personal] = {}

    def match(
        self, org: Organisation, incident_id: UUID, summary: IncidentSummary
    ) -> OrganisationMatch:
        key = (str(incident_id), org.id)
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) > 10_000:
                self._matches.clear()
            found = match_organisation(org, summary)
            self._matches[key] = found
        return found

    def block(
        self,
        language: Language,
        org: Organisation,
        contact: Contact,
        incident_id: UUID,
        summary: IncidentSummary,
        *,
        reminder: bool = False,
    ) -> Personal:
        """Render one contact's answer links and its organisation's matches; the observer's
        is empty: it is told, never asked (no link to answer with)."""
        if not answer_kinds(org):
            return _NOTHING_TO_ANSWER
        token_url = self.signer.url(self.public_url, incident_id, org.id, contact.id, self.clock())
        # An organisation's contacts share their block but for the signed link: it is rendered
        # once around a stand-in (~50 µs for the three templates), then the link goes in.
        key = (str(incident_id), org.id, language, reminder)
        shared = self._blocks.get(key)
        if shared is None:
            if len(self._blocks) > 10_000:
                self._blocks.clear()
            match = self.match(org, incident_id, summary)
            shared = self._blocks[key] = self.render(language, org, match, _LINK, reminder=reminder)
        html_url = str(escape(token_url))
        return Personal(
            text=shared.text.replace(_LINK, token_url),
            html=shared.html.replace(_LINK, html_url),
            chat=shared.chat.replace(_LINK, token_url),
        )

    def render(
        self,
        language: Language,
        org: Organisation,
        match: OrganisationMatch,
        token_url: str,
        *,
        reminder: bool,
    ) -> Personal:
        """Render a block with this answer link and these matches."""
        # The answer page opens in the mail's language, whatever the directory says.
        lang = language.value
        links = [
            {
                "label": ANSWER_WORDS[language][kind],
                "url": f"{token_url}?answer={kind.value}&lang={lang}",
            }
            for kind in answer_kinds(org)
        ]
        context: dict[str, Any] = {
            "links": links,
            "form_url": f"{token_url}?lang={lang}",
            "reminder": reminder,
            "plans": [
                {
                    "title": p.title_ja if language is Language.JA else p.title_en,
                    "staff": p.staff_deployable,
                    "hours": p.hours_to_deploy,
                    "sectors": ", ".join(s.value for s in p.sectors),
                    "partner": p.partner,
                }
                for p in match.plans
            ],
            "stock": [
                {
                    "item": s.supply.item,
                    "quantity": f"{s.supply.quantity:,}",
                    "unit": s.supply.unit,
                    "place": s.supply.place,
                    "country": s.supply.country,
                }
                for s in match.stock
            ],
            "offers": [
                {"kind": o.kind.value, "description": o.description, "capacity": o.capacity}
                for o in match.offers
            ],
        }
        return Personal(
            text=self.env.get_template(f"_answer_links.{lang}.txt.j2").render(context),
            html=self.env.get_template(f"_answer_links.{lang}.html.j2").render(context),
            chat=self.env.get_template(f"_answer_links_chat.{lang}.txt.j2").render(context),
        )
