"""The way in without a link: a member asks for their own, and it is mailed to them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.notifier.web.deps import deps_of, render
from services.notifier.web.guard import may_mail
from services.notifier.wording import language_of

log = get_logger(__name__)

router = APIRouter()


@router.get("/m")
async def request_link(request: Request) -> Response:
    """Ask for one's own link: the way in from any member mail's footer."""
    return render(request, "", ask_link=True, form=False)


@router.post("/m")
async def send_link(request: Request) -> Response:
    deps = deps_of(request)
    data = await request.form()
    address = str(data.get("email", "")).strip().lower()[:320]
    language = language_of(request.query_params.get("lang"))
    found = [
        (org, contact)
        for org in deps.directory.current().organisations
        for contact in org.contacts
        if contact.email and contact.email.lower() == address
    ]
    if found and deps.link_mail is not None and may_mail(deps, address):
        try:
            await deps.link_mail(address, found, found[0][1].language or language)
        except StandbyError as err:
            log.warning("preference_link_not_sent", error=str(err))
    # The same answer whether or not the address is known: the list is not to be probed.
    return render(request, "", message="link_sent", ask_link=True, form=False)
