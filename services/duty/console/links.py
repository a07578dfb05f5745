"""The signed-link confirm page: GET shows it and changes nothing; only its POST acknowledges."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from schemas.acks import AckVia
from services.duty import queries
from services.duty.console import audit
from services.duty.console.audit import SecurityKind
from services.duty.console.auth import check_csrf
from services.duty.console.deps import ConsoleDeps, Deps, render
from services.duty.models import SpentToken
from services.duty.repository import ActivationNotFoundError
from services.duty.states import Action, TransitionError
from services.duty.timeline import spend_token
from services.duty.tokens import Grant, Refusal, TokenRefusedError

router = APIRouter(include_in_schema=False)


async def _refused(
    request: Request,
    reason: Refusal,
    status_code: int = 403,
    officer_id: str | None = None,
    activation: queries.ActivationDetail | None = None,
) -> Response:
    deps: ConsoleDeps = request.app.state.deps
    await audit.record(
        deps.db.transaction,
        SecurityKind.LINK_REFUSED,
        deps.clock(),
        officer_id=officer_id,
        source=audit.client_source(request.client.host if request.client else None),
        detail=reason.value,
    )
    context = {"reason": reason.value, "a": activation}
    return render(request, "refused.html", context, status_code=status_code)


def _on_rota(deps: ConsoleDeps, grant: Grant) -> None:
    """Refuse a link whose officer has left the rota: a link is not a credential of its own."""
    if deps.rota().officer(grant.officer_id) is None:
        raise TokenRefusedError(Refusal.OFF_ROTA)


@router.get("/a/{token}")
async def confirm_page(request: Request, deps: Deps, token: str) -> Response:
    """Show what the link would do; mail scanners that prefetch it change nothing."""
    now = deps.clock()
    try:
        grant = deps.signer.check(token, now=now, action=Action.ACKNOWLEDGE)
    except TokenRefusedError as err:
        return await _refused(request, err.reason)
    try:
        _on_rota(deps, grant)
    except TokenRefusedError as err:
        return await _refused(request, err.reason, officer_id=grant.officer_id)
    async with deps.db.sessions() as session:
        spent = await session.get(SpentToken, grant.nonce) is not None
        paged = grant.officer_id in await queries.paged_officers(session, grant.activation_id)
        detail = await queries.activation_detail(session, grant.activation_id)
    if spent:
        # Used already: still say who owns the activation now, and where to follow it.
        return await _refused(request, Refusal.SPENT, 410, grant.officer_id, detail)
    if not paged:
        return await _refused(request, Refusal.WRONG_OFFICER, officer_id=grant.officer_id)
    if detail is None:
        return await _refused(request, Refusal.WRONG_ACTIVATION, 404, grant.officer_id)
    officer = deps.rota().officer(grant.officer_id)
    return render(
        request,
        "confirm.html",
        {
            "a": detail,
            "token": token,
            "grant_officer": officer.name if officer else grant.officer_id,
        },
    )


@router.post("/a/{token}")
async def confirm(
    request: Request, deps: Deps, token: str, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Acknowledge as the officer the link names: checked, spent and applied in one transaction."""
    check_csrf(request, csrf)
    now = deps.clock()
    grant: Grant | None = None
    try:
        async with deps.work() as work:
            grant = deps.signer.read(token)
            grant = deps.signer.check(
                token,
                now=now,
                action=Action.ACKNOWLEDGE,
                activation_id=grant.activation_id,
                officers=await queries.paged_officers(work.session, grant.activation_id),
            )
            _on_rota(deps, grant)
            await spend_token(work.session, grant, now)
            outcome = await deps.duty.act(
                work.session,
                grant.activation_id,
                Action.ACKNOWLEDGE,
                grant.officer_id,
                AckVia.LINK,
                now,
            )
            work.add(outcome)
    except TokenRefusedError as err:
        status = 410 if err.reason is Refusal.SPENT else 403
        return await _refused(request, err.reason, status, grant.officer_id if grant else None)
    except ActivationNotFoundError:
        return await _refused(
            request, Refusal.WRONG_ACTIVATION, 404, grant.officer_id if grant else None
        )
    except TransitionError:
        # Someone else acknowledged first; the link stays unspent (the transaction rolled back).
        # Say who, when, and where to go on, instead of a bare refusal.
        assert grant is not None
        async with deps.db.sessions() as session:
            detail = await queries.activation_detail(session, grant.activation_id)
        return render(request, "confirm.html", {"a": detail, "token": token}, status_code=409)
    assert grant is not None
    return render(
        request,
        "message.html",
        {"message_key": "acknowledged_by_you", "activation": grant.activation_id},
    )
