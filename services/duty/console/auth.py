"""Console sign-in: argon2 passwords from the rota, server-side sessions, CSRF."""

from __future__ import annotations

import hmac
import secrets
from functools import cache
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request

from services.common.errors import StandbyError
from services.duty.console import audit
from services.duty.console.sessions import end_sessions_of, find_session
from services.duty.rota import Officer, Rota

_hasher = PasswordHasher()
# Verifying against a dummy hash when the officer is unknown keeps the timing the same. It is
# a hash, with the hasher's parameters, of a random password thrown away: hashing one at
# import cost a restarted duty 0.3-1.3 s of CPU before it could take messages again.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$zRebM6cNAh0lSNXLwPKybA$tyDhgYSuliYPD0PE71SwmN+RKxZNIqmkK6VtIwUpvUs"


@cache
def _dummy_hash() -> str:
    """The dummy hash, made anew only if the hasher's parameters are not the stored one's."""
    if _hasher.check_needs_rehash(_DUMMY_HASH):
        return _hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


class NotLoggedInError(StandbyError):
    """The request needs a console session."""


class CsrfError(StandbyError):
    """A state-changing request came without the session's CSRF token."""


def hash_password(password: str) -> str:
    """Hash a console password for `rota.yaml`."""
    return _hasher.hash(password)


def verify_password(rota: Rota, officer_id: str, password: str) -> Officer | None:
    """Return the officer when the password matches their rota hash."""
    officer = rota.officer(officer_id)
    stored = officer.password_hash.get_secret_value() if officer and officer.password_hash else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return officer if stored else None


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, presented: str | None) -> None:
    """Raise CsrfError unless the presented token is the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not presented:
        raise CsrfError("missing CSRF token")
    if not hmac.compare_digest(expected.encode(), presented.encode()):
        raise CsrfError("wrong CSRF token")


def start_session(request: Request, session_id: str) -> None:
    """Point the cookie at a fresh server-side session (a new CSRF token; nothing carried over)."""
    request.session.clear()
    request.session["sid"] = session_id
    request.session["csrf"] = secrets.token_urlsafe(24)


def session_id(request: Request) -> str | None:
    """Return the server-side session id the cookie carries, if any."""
    sid = request.session.get("sid")
    return sid if isinstance(sid, str) else None


def session_officer(request: Request) -> str | None:
    """Return the officer this request was authenticated as (set by `require_officer`)."""
    officer = getattr(request.state, "officer_id", None)
    return officer if isinstance(officer, str) else None


async def require_officer(request: Request) -> str:
    """Return the officer of the request's live session, or refuse the request."""
    deps = request.app.state.deps  # a ConsoleDeps (deps.py imports this module)
    sid = session_id(request)
    if sid is None:
        raise NotLoggedInError("login required")
    async with deps.db.transaction() as session:
        officer = await find_session(session, sid, deps.clock())
        left = officer is not None and deps.rota().officer(officer) is None
        if left and officer is not None:
            # An officer removed from the rota loses every session at once.
            await end_sessions_of(session, [officer])
    if left:
        source = audit.client_source(request.client.host if request.client else None)
        await audit.record(
            deps.db.transaction,
            audit.SecurityKind.SESSION_ENDED,
            deps.clock(),
            officer_id=officer,
            source=source,
            detail="off_rota",
        )
    if officer is None or left:
        raise NotLoggedInError("login required")
    request.state.officer_id = officer
    return officer


async def require_api_officer(request: Request) -> str:
    """Return the logged-in officer id for the JSON API (401 instead of a redirect)."""
    try:
        return await require_officer(request)
    except NotLoggedInError as err:
        raise HTTPException(status_code=401, detail="login required") from err


OfficerDep = Annotated[str, Depends(require_officer)]
ApiOfficerDep = Annotated[str, Depends(require_api_officer)]
