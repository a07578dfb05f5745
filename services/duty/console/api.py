"""The JSON API: the console's data for tools and scripts, described by OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, HTTPException, Request
from pydantic import BaseModel, Field

from schemas.acks import AckVia
from services.duty import queries
from services.duty.console.auth import ApiOfficerDep, CsrfError, check_csrf, csrf_token
from services.duty.console.deps import Deps, ReadSession
from services.duty.repository import ActivationNotFoundError
from services.duty.states import Action, DutyState, TransitionError

router = APIRouter(prefix="/api/v1", tags=["duty"])

_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in"}}


class Me(BaseModel):
    officer_id: str
    name: str
    language: str
    csrf_token: str = Field(description="Send as `X-CSRF-Token` with every POST.")


class ActionRequest(BaseModel):
    note: str | None = Field(
        default=None, max_length=2000, description="Internal note: officers only."
    )
    member_message: str | None = Field(
        default=None,
        max_length=2000,
        description="Read by members in the deploy or stand-down notice (launch, stand_down).",
    )


class ActionResult(BaseModel):
    activation_id: UUID
    state: DutyState


@router.get("/me", responses=_AUTH)
async def me(request: Request, deps: Deps, officer: ApiOfficerDep) -> Me:
    """Return the logged-in officer and the CSRF token for API writes."""
    found = deps.rota().officer(officer)
    assert found is not None  # require_api_officer checked the rota
    return Me(
        officer_id=found.id,
        name=found.name,
        language=found.language.value,
        csrf_token=csrf_token(request),
    )


@router.get("/activations", responses=_AUTH)
async def list_activations(
    session: ReadSession, officer: ApiOfficerDep
) -> list[queries.ActivationItem]:
    """List activations: open first, newest on top."""
    return await queries.list_activations(session)


@router.get("/activations/{activation_id}", responses={**_AUTH, 404: {"description": "Unknown"}})
async def get_activation(
    session: ReadSession, activation_id: UUID, officer: ApiOfficerDep
) -> queries.ActivationDetail:
    """Return one activation with its chain, timeline and deliveries."""
    detail = await queries.activation_detail(session, activation_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such activation")
    return detail


@router.get(
    "/activations/{activation_id}/deliveries",
    responses={**_AUTH, 404: {"description": "Unknown"}},
)
async def get_deliveries(
    session: ReadSession, activation_id: UUID, officer: ApiOfficerDep
) -> list[queries.DeliveryRow]:
    """List who was told about an activation, and who was not (failures first)."""
    if await queries.activation_detail(session, activation_id) is None:
        raise HTTPException(status_code=404, detail="no such activation")
    return await queries.deliveries_of(session, activation_id)


@router.post(
    "/activations/{activation_id}/actions/{action}",
    responses={
        **_AUTH,
        403: {"description": "CSRF token missing or wrong"},
        404: {"description": "Unknown"},
        409: {"description": "Not allowed in the current state"},
    },
)
async def post_action(
    request: Request,
    deps: Deps,
    activation_id: UUID,
    action: Action,
    officer: ApiOfficerDep,
    x_csrf_token: Annotated[str | None, Header(max_length=200)] = None,
    body: Annotated[ActionRequest | None, Body()] = None,
) -> ActionResult:
    """Acknowledge, launch, stand down or escalate an activation as the logged-in officer."""
    try:
        check_csrf(request, x_csrf_token)
    except CsrfError as err:
        raise HTTPException(status_code=403, detail=str(err)) from err
    try:
        outcome = await deps.act(
            activation_id,
            action,
            officer,
            AckVia.API,
            body.note if body else None,
            body.member_message if body else None,
        )
    except ActivationNotFoundError as err:
        raise HTTPException(status_code=404, detail="no such activation") from err
    except TransitionError as err:
        raise HTTPException(status_code=409, detail=str(err)) from err
    assert outcome.state is not None
    return ActionResult(activation_id=activation_id, state=outcome.state)
