"""Who may use the officer pages: the officer identity the console forwards in a signed header,
and the CSRF token of that officer's session on every form that changes something."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from services.common.console_identity import OFFICER_HEADER, OfficerIdentity, read_identity
from services.common.errors import StandbyError
from services.response.web.deps import deps_of


class OfficerRequiredError(StandbyError):
    """The page is for officers and the request did not come from a console session."""


class CsrfRefusedError(StandbyError):
    """A state-changing form came without the session's CSRF token."""


def officer_language(request: Request) -> str:
    """The language of the officer behind the request; English when there is none."""
    identity = read_identity(deps_of(request).identity_key, request.headers.get(OFFICER_HEADER))
    return identity.language if identity else "en"


def require_officer(request: Request) -> OfficerIdentity:
    identity = read_identity(deps_of(request).identity_key, request.headers.get(OFFICER_HEADER))
    if identity is None:
        raise OfficerRequiredError("officer identity missing or invalid")
    return identity


OfficerDep = Annotated[OfficerIdentity, Depends(require_officer)]


def check_csrf(identity: OfficerIdentity, form: Any) -> None:
    presented = str(form.get("csrf") or "")
    if not presented or not hmac.compare_digest(presented.encode(), identity.csrf.encode()):
        raise CsrfRefusedError("wrong CSRF token")


async def officer_form(request: Request, officer: OfficerDep) -> FormData:
    """The posted form of a logged-in officer, once its CSRF token is checked."""
    form = await request.form()
    check_csrf(officer, form)
    return form


OfficerForm = Annotated[FormData, Depends(officer_form)]
