"""The members' pages, opened by the signed answer link in their alert: the answer form and
its thanks."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from schemas.responses import AnswerVia
from services.response.lifecycle import DecisionError
from services.response.web.deps import deps_of, message, render
from services.response.web.forms import FormError, parse_answer
from services.response.web.guard import AnswerContext

router = APIRouter(include_in_schema=False)

_PATH = "/respond/{incident_id}/{organisation_id}/{token}"


@router.get(_PATH, response_class=HTMLResponse)
async def answer_form(request: Request, found: AnswerContext) -> Response:
    ctx, language = found
    return render(request, "answer.html", language, ctx)


@router.post(_PATH, response_class=HTMLResponse)
async def answer_post(
    request: Request, incident_id: str, organisation_id: str, found: AnswerContext
) -> Response:
    ctx, language = found
    form = await request.form()
    try:
        parsed = parse_answer(form, ctx["kinds"])
    except FormError as err:
        shown = ctx | {"error": err.said(language)}
        return render(request, "answer.html", language, shown, status_code=422)
    try:
        await deps_of(request).handlers.answer(
            incident_id,
            organisation_id,
            parsed,
            contact_id=ctx["grant"].contact_id,
            via=AnswerVia.LINK,
        )
    except DecisionError:
        return message(request, "closed", language, status_code=409)
    deps_of(request).boards.touched()
    return render(request, "thanks.html", language, ctx | {"given": parsed})
