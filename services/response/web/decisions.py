"""The officers' decisions on the board: an answer taken by phone, the survey, the programme's
launch and its close; each asks for confirmation first and says in words why it was refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from schemas.responses import AnswerVia
from services.common.console_identity import OfficerIdentity
from services.response.lifecycle import DecisionError, LifecycleError
from services.response.rollcall import answer_kinds_for, is_observer
from services.response.web.auth import OfficerDep, OfficerForm
from services.response.web.deps import deps_of, names_of, render
from services.response.web.forms import FormError, parse_answer, programme_of, survey_choices
from services.response.words import words

router = APIRouter(include_in_schema=False)


@router.post("/rollcall/{incident_id}/phone", response_class=HTMLResponse)
async def phone(
    request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
) -> Response:
    deps = deps_of(request)
    organisation_id = str(form.get("organisation_id") or "")
    org = next((o for o in deps.directory.current().organisations if o.id == organisation_id), None)
    t = words(officer.language)
    if org is None:
        return _error(
            request, officer, incident_id, t["refused_unknown"].format(names=organisation_id)
        )
    if is_observer(org):
        name = org.name_ja if officer.language == "ja" else org.name_en
        return _error(
            request, officer, incident_id, t["refused_observer_answer"].format(names=name)
        )
    try:
        parsed = parse_answer(form, answer_kinds_for(org))
        await deps.handlers.answer(
            incident_id,
            organisation_id,
            parsed,
            contact_id=None,
            via=AnswerVia.PHONE,
            officer_id=officer.officer_id,
        )
    except FormError as err:
        return _error(request, officer, incident_id, err.said(officer.language))
    except DecisionError as err:
        return _error(request, officer, incident_id, _refusal(request, officer, err))
    deps.boards.touched()
    return RedirectResponse(f"/rollcall/{incident_id}", status_code=303)


@router.post("/rollcall/{incident_id}/survey", response_class=HTMLResponse)
async def survey(
    request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
) -> Response:
    handlers = deps_of(request).handlers
    try:
        choices = survey_choices(form, handlers.settings.survey_budget_jpy)
    except FormError as err:
        return _error(request, officer, incident_id, err.said(officer.language))
    return await _once_confirmed(
        request,
        officer,
        incident_id,
        form,
        ("confirm_survey.html", {"choices": choices}),
        lambda review: handlers.decide_survey(
            incident_id, choices, officer.officer_id, review=review
        ),
    )


@router.post("/rollcall/{incident_id}/launch", response_class=HTMLResponse)
async def launch(
    request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
) -> Response:
    handlers = deps_of(request).handlers
    try:
        programme = programme_of(form, handlers.settings.programme_months)
    except FormError as err:
        return _error(request, officer, incident_id, err.said(officer.language))
    return await _once_confirmed(
        request,
        officer,
        incident_id,
        form,
        ("confirm_launch.html", {"programme": programme}),
        lambda review: handlers.launch(incident_id, programme, officer.officer_id, review=review),
    )


@router.post("/rollcall/{incident_id}/close", response_class=HTMLResponse)
async def close(
    request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
) -> Response:
    deps = deps_of(request)
    return await _once_confirmed(
        request,
        officer,
        incident_id,
        form,
        ("confirm_close.html", {}),
        lambda review: deps.handlers.close(incident_id, officer.officer_id, review=review),
    )


async def _once_confirmed(
    request: Request,
    officer: OfficerIdentity,
    incident_id: str,
    form: FormData,
    confirm: tuple[str, dict[str, Any]],
    decide: Callable[[bool], Awaitable[object]],
) -> Response:
    """Review the decision (`decide(True)` keeps nothing) and show the confirm page (template,
    what it shows) until the officer confirms; then take it and go back to the board. A
    refusal is said in words at the review already, before any confirm page."""
    confirmed = form.get("confirm") == "yes"
    try:
        await decide(not confirmed)
    except DecisionError as err:
        return _error(request, officer, incident_id, _refusal(request, officer, err))
    if not confirmed:
        template, shown = confirm
        context = {"incident_id": incident_id, **shown, "csrf": officer.csrf}
        return render(request, template, officer.language, context)
    return RedirectResponse(f"/rollcall/{incident_id}", status_code=303)


def _refusal(request: Request, officer: OfficerIdentity, err: DecisionError) -> str:
    """Why a decision was refused, in the officer's language, organisations by their names."""
    t = words(officer.language)
    if isinstance(err, LifecycleError):
        return t["refused_move"].format(state=t[f"status_{err.state.value}"])
    if err.word is None:
        return str(err)
    names = names_of(deps_of(request).directory.current(), officer.language)
    return t[err.word].format(
        names=("、" if officer.language == "ja" else ", ").join(
            names.get(o, o) for o in err.organisations
        ),
        cap=f"{err.cap_jpy:,}" if err.cap_jpy is not None else "",
    )


def _error(request: Request, officer: OfficerIdentity, incident_id: str, text: str) -> HTMLResponse:
    return render(
        request,
        "message.html",
        officer.language,
        {"message_key": "error", "detail": text, "back": f"/rollcall/{incident_id}"},
        status_code=422,
    )
