"""What guards the members' pages: the signed answer link (decision 0703), and a roll-call that
still takes answers."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse

from schemas.members import Sector
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.common.reader_language import reader_language
from services.domain.answer_links import AnswerLinkRefusedError, AnswerRefusal
from services.response import store
from services.response.lifecycle import ResponseState
from services.response.models import RollCallRow
from services.response.rollcall import answer_kinds_for
from services.response.web.deps import deps_of, message

log = get_logger(__name__)


class PageInsteadError(StandbyError):
    """A route's dependency found the request ends in this page (a refused link, a closed
    roll-call) instead of the route's own."""

    def __init__(self, page: Response) -> None:
        super().__init__(f"shown instead: {page.status_code}")
        self.page = page


def not_answerable(
    request: Request, held: RollCallRow | None, language: str
) -> HTMLResponse | None:
    """The page for a response that takes no answer any more, or None when it does.

    A roll-call not opened yet takes answers: the member alert can arrive before this
    service has read the activation (two consumers of one topic), and a valid link's answer
    is held and attached when the roll-call opens.
    """
    if held is not None and not ResponseState(held.status).takes_answers:
        return message(request, "closed", language, status_code=409)
    return None


async def answer_context(
    request: Request, incident_id: str, organisation_id: str, token: str
) -> tuple[dict[str, Any], str]:
    """What the answer form shows, and in which language; a refused link or a roll-call that
    takes no answer now is its page instead (PageInsteadError)."""
    deps = deps_of(request)
    org = next((o for o in deps.directory.current().organisations if o.id == organisation_id), None)
    try:
        grant = deps.signer.check(
            token,
            now=deps.clock(),
            incident_id=UUID(incident_id),
            organisation_id=organisation_id,
        )
        contacts = org.contacts if org is not None else []
        contact = next((c for c in contacts if c.id == grant.contact_id), None)
        if contact is None:
            # A link is not a credential of its own: whoever left the directory lost it.
            raise AnswerLinkRefusedError(AnswerRefusal.CONTACT_REMOVED)
    except (AnswerLinkRefusedError, ValueError) as err:
        reason = err.reason.value if isinstance(err, AnswerLinkRefusedError) else "forged"
        log.info("answer_link_refused", reason=reason, organisation=organisation_id)
        # Nobody is known yet: the link's own language, else the browser's.
        language = reader_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        page = message(request, f"refused_{reason}", language, status_code=403)
        raise PageInsteadError(page) from err
    # The link in a mail says the mail's language (a contact may read in another than the
    # directory's); without it, the directory's.
    asked = request.query_params.get("lang")
    language = asked if asked in ("ja", "en") else contact.language.value
    async with deps.reads() as session:
        held = await store.rollcall(session, incident_id)
        latest = await store.latest_answer(session, incident_id, organisation_id)
    refused = not_answerable(request, held, language)
    if refused is not None:
        raise PageInsteadError(refused)
    return {
        "org": org,
        "organisation_id": organisation_id,
        "contact": contact,
        "grant": grant,
        "summary": store.summary_of(held) if held is not None else None,
        "kinds": answer_kinds_for(org),
        "sectors": list(Sector),
        "latest": latest,
        "chosen": request.query_params.get("answer"),
    }, language


AnswerContext = Annotated[tuple[dict[str, Any], str], Depends(answer_context)]
