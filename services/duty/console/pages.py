"""The console's HTML pages: login, activations, one activation, its members, duty actions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acks import AckVia
from services.duty import metrics, queries
from services.duty.console import audit, throttle
from services.duty.console.audit import SecurityKind
from services.duty.console.auth import (
    OfficerDep,
    check_csrf,
    session_id,
    start_session,
    verify_password,
)
from services.duty.console.deps import Deps, ReadSession, render, safe_next
from services.duty.console.sessions import close_session, find_session, open_session
from services.duty.repository import ActivationNotFoundError
from services.duty.states import ON_THE_BOARD, Action, TransitionError

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
async def login(
    request: Request,
    deps: Deps,
    officer_id: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(request, csrf)
    now, rota = deps.clock(), deps.rota()
    typed = officer_id.strip().lower()
    source = audit.client_source(request.client.host if request.client else None)
    device = deps.devices.device_of(request.cookies.get(throttle.DEVICE_COOKIE), typed)
    keys = throttle.throttle_keys(typed, source, device)
    # Only ids the rota knows are recorded: a typed id is free text from anyone.
    named = audit.known_officer(rota, typed)
    event = {"officer_id": named, "source": source}
    async with deps.verify_gate.slot(typed, known_device=device is not None) as admitted:
        wait = 1 if not admitted else await _take_try(deps, keys, now)
        # argon2 takes tens of milliseconds of CPU: off the event loop, so pages keep flowing.
        if not wait:
            metrics.PASSWORD_CHECKS.inc()
            officer = await asyncio.to_thread(verify_password, rota, typed, password)
    if wait:
        how = "known_device" if device else "untrusted_browser"
        await audit.record(
            deps.db.transaction, SecurityKind.LOGIN_THROTTLED, now, **event, detail=how
        )
        throttled = render(
            request,
            "login.html",
            {"next": safe_next(next), "error": "rate_limited"},
            status_code=429,
        )
        throttled.headers["retry-after"] = str(wait)
        return throttled
    if officer is None:
        async with deps.db.transaction() as session:
            await throttle.record_failure(session, keys, deps.clock())
        why = None if named else "unknown_officer"
        await audit.record(deps.db.transaction, SecurityKind.LOGIN_FAILED, now, **event, detail=why)
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": "login_failed"},
            status_code=401,
        )
    return await _signed_in(request, deps, officer.id, keys, now, event, next)


async def _signed_in(
    request: Request,
    deps: Deps,
    officer_id: str,
    keys: list[str],
    now: datetime,
    event: dict[str, str | None],
    next: str,
) -> Response:
    """Open the officer's session after a right password and send the browser on."""
    async with deps.db.transaction() as session:
        await throttle.record_success(session, keys)
        sid = await open_session(session, officer_id, now)
    await audit.record(deps.db.transaction, SecurityKind.LOGIN_SUCCEEDED, now, **event)
    start_session(request, sid)
    response = RedirectResponse(safe_next(next), status_code=303)
    # This browser is now known for this officer: its tries count apart from anyone else's.
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        deps.devices.issue(officer_id),
        max_age=throttle.DEVICE_MAX_AGE_S,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=deps.secure,
    )
    return response


async def _take_try(deps: Deps, keys: list[str], now: datetime) -> int:
    """Count the try before its password is checked; the seconds to wait when refused."""
    try:
        async with deps.db.transaction() as session:
            await throttle.take_try(session, keys, now)
    except throttle.ThrottledError as refused:
        return refused.wait_s
    return 0


@router.post("/logout")
async def logout(
    request: Request, deps: Deps, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    sid = session_id(request)
    if sid is not None:
        async with deps.db.transaction() as session:
            officer = await find_session(session, sid, deps.clock())
            await close_session(session, sid)
        if officer is not None:
            source = audit.client_source(request.client.host if request.client else None)
            await audit.record(
                deps.db.transaction,
                SecurityKind.LOGOUT,
                deps.clock(),
                officer_id=officer,
                source=source,
            )
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
async def activations(request: Request, session: ReadSession, officer: OfficerDep) -> Response:
    asked = {k: v for k, v in request.query_params.items() if k in _FILTERS and v}
    error = None
    try:
        only = queries.ListFilter.model_validate(
            {
                "level": asked.get("level"),
                "state": asked.get("state"),
                "country": asked.get("country", "").strip().upper() or None,
                "officer_id": officer if asked.get("mine") else None,
            }
        )
    except ValidationError:
        # The page names the problem by key; the rejected text is not shown back.
        only, error, asked = queries.ListFilter(), "bad_filter", {}
    items = await queries.list_activations(session, only=only)
    # Back to this list after an action: rebuilt from the accepted filters, not the raw query.
    here = "/?" + urlencode(asked) if asked else "/"
    context = {"items": items, "filters": asked, "error": error, "me": officer, "here": here}
    return render(request, "list.html", context, status_code=400 if error else 200)


_FILTERS = ("level", "state", "mine", "country")


async def _detail(
    request: Request, session: AsyncSession, activation_id: UUID, action: Action | None = None
) -> queries.ActivationDetail | Response:
    """The activation, or the page shown instead: not found, or back to it when `action` is
    not open in its state."""
    detail = await queries.activation_detail(session, activation_id)
    if detail is None:
        return render(request, "message.html", {"message_key": "not_found"}, status_code=404)
    if action is not None and action not in detail.actions:
        return RedirectResponse(f"/activations/{activation_id}?error=not_allowed", status_code=303)
    if action in ON_THE_BOARD:
        # One launch: the programme is launched (and closed) on the roll-call board only.
        return RedirectResponse(f"/rollcall/{detail.incident_id}#{action}", status_code=303)
    return detail


async def _shown(session: ReadSession, activation_id: UUID) -> queries.ActivationDetail:
    """The activation a page shows; an unknown one is the not-found page (see `app.py`)."""
    detail = await queries.activation_detail(session, activation_id)
    if detail is None:
        raise ActivationNotFoundError(f"no activation {activation_id}")
    return detail


# After OfficerDep in a route's parameters: only a logged-in officer learns whether it exists.
ShownActivation = Annotated[queries.ActivationDetail, Depends(_shown)]


@router.get("/activations/{activation_id}")
async def activation(request: Request, officer: OfficerDep, detail: ShownActivation) -> Response:
    # Only a key from a closed set, never text from the URL (a phishing line on a trusted page).
    error = request.query_params.get("error")
    return render(
        request, "detail.html", {"a": detail, "error": error if error in _NOTICES else None}
    )


_NOTICES = frozenset({"not_allowed"})


@router.get("/activations/{activation_id}/members")
async def members(request: Request, officer: OfficerDep, detail: ShownActivation) -> Response:
    return render(request, "members.html", {"a": detail})


class ActionForm(BaseModel):
    """The confirm form of an action, posted to preview it and to take it."""

    csrf: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)
    member_message: str = Field(default="", max_length=2000)
    next: str = Field(default="", max_length=2000)


@router.get("/activations/{activation_id}/{action}/confirm")
async def confirm_action(
    request: Request,
    session: ReadSession,
    activation_id: UUID,
    action: Action,
    officer: OfficerDep,
) -> Response:
    detail = await _detail(request, session, activation_id, action)
    if isinstance(detail, Response):
        return detail
    return render(
        request,
        "confirm_action.html",
        {"a": detail, "action": action.value, "note": "", "member_message": ""},
    )


@dataclass(frozen=True, slots=True)
class PostedAction:
    """An action's confirm form, posted by a signed-in officer with a valid CSRF token."""

    activation_id: UUID
    action: Action
    officer: str
    form: ActionForm


async def _posted_action(
    request: Request,
    activation_id: UUID,
    action: Action,
    officer: OfficerDep,
    form: Annotated[ActionForm, Form()],
) -> PostedAction:
    check_csrf(request, form.csrf)
    return PostedAction(activation_id, action, officer, form)


PostedActionDep = Annotated[PostedAction, Depends(_posted_action)]


@router.post("/activations/{activation_id}/{action}/preview")
async def preview_action(
    request: Request, session: ReadSession, posted: PostedActionDep
) -> Response:
    """Show the confirm form again with what members would read; nothing is sent or changed."""
    detail = await _detail(request, session, posted.activation_id, posted.action)
    if isinstance(detail, Response):
        return detail
    context = {
        "a": detail,
        "action": posted.action.value,
        "note": posted.form.note,
        "member_message": posted.form.member_message,
    }
    return render(request, "confirm_action.html", context)


@router.post("/activations/{activation_id}/{action}")
async def act(request: Request, deps: Deps, posted: PostedActionDep) -> Response:
    activation_id, form = posted.activation_id, posted.form
    # An action taken from the list returns to the list (with its filters).
    target = safe_next(form.next) if form.next else f"/activations/{activation_id}"
    try:
        await deps.act(
            activation_id,
            posted.action,
            posted.officer,
            AckVia.CONSOLE,
            form.note.strip() or None,
            form.member_message.strip() or None,
        )
    except ActivationNotFoundError:
        return render(request, "message.html", {"message_key": "not_found"}, status_code=404)
    except TransitionError:
        return RedirectResponse(f"/activations/{activation_id}?error=not_allowed", status_code=303)
    return RedirectResponse(target, status_code=303)
