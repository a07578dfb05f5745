"""One member's page: see, change and stop what they are sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from schemas.members import Language
from services.common.logs import get_logger
from services.notifier.preference_store import preference_of, save_preference
from services.notifier.preferences import NO_PREFERENCE, ChoiceError, Preference
from services.notifier.web.deps import deps_of, render
from services.notifier.web.forms import choices, refusal_shown, shown_choice
from services.notifier.web.guard import member_of

log = get_logger(__name__)

router = APIRouter()


@router.get("/m/{token}")
async def preferences(request: Request, token: str) -> Response:
    return await _form(request, token)


@router.get("/m/{token}/unsubscribe")
async def unsubscribe_page(request: Request, token: str) -> Response:
    # A GET never unsubscribes: link checkers and scanners fetch every URL in a mail.
    return await _form(request, token, ask_unsubscribe=True)


@router.post("/m/{token}")
async def save(request: Request, token: str) -> Response:
    data = await request.form()
    return await _change(
        request,
        token,
        lambda before, now: choices(data, now, before),
        event="member_preferences_saved",
        message="saved",
        submitted=data,
    )


@router.post("/m/{token}/unsubscribe")
async def unsubscribe(request: Request, token: str) -> Response:
    """RFC 8058 one-click: the mail provider POSTs `List-Unsubscribe=One-Click`."""
    return await _change(
        request,
        token,
        lambda before, _: replace(before, unsubscribed=True),
        event="member_unsubscribed",
        message="stopped",
    )


async def _form(
    request: Request,
    token: str,
    *,
    status: int = 200,
    submitted: FormData | None = None,
    **extra: Any,
) -> Response:
    """The contact's form as stored (or as sent, when refused), in the contact's language."""
    found = member_of(request, token)
    if isinstance(found, Response):
        return found
    org, contact = found
    deps = deps_of(request)
    async with deps.db.sessions() as session:
        pref = await preference_of(session, org.id, contact.id) or NO_PREFERENCE
    language = pref.language or contact.language
    return render(
        request,
        token,
        status,
        lang=language.value,
        form=True,
        contact=contact.name,
        organisation=org.name_ja if language is Language.JA else org.name_en,
        pref=pref,
        now=deps.clock(),
        choice=shown_choice(pref, submitted, language, deps.timezone),
        refusal=refusal_shown(extra.pop("refusal", None), language),
        **extra,
    )


async def _change(
    request: Request,
    token: str,
    choose: Callable[[Preference, datetime], Preference],
    *,
    event: str,
    message: str,
    submitted: FormData | None = None,
) -> Response:
    """Store what `choose` makes of the contact's preference; a ValueError is a 400."""
    deps = deps_of(request)
    now = deps.clock()
    found = member_of(request, token)
    if isinstance(found, Response):
        return found
    org, contact = found
    async with deps.db.transaction() as session:
        before = await preference_of(session, org.id, contact.id) or NO_PREFERENCE
        try:
            choice = choose(before, now)
        except ChoiceError as err:
            return await _form(
                request, token, status=400, refusal=(err.key, err.values), submitted=submitted
            )
        except ValueError as err:
            return await _form(request, token, status=400, error=str(err), submitted=submitted)
        await save_preference(session, org.id, contact.id, choice, now)
    log.info(event, organisation=org.id, contact=contact.id)
    return await _form(request, token, message=message)
