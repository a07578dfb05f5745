"""Console sign-in: argon2 passwords from the rota, signed session cookies, CSRF, login throttling."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request

from services.common.errors import StandbyError
from services.duty.rota import Officer, Rota

_hasher = PasswordHasher()
# Verifying against a dummy hash when the officer is unknown keeps the timing the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return officer if stored else None


class LoginLimiter:
    """Refuse logins after too many failures from one address or for one officer, for a while."""

    def __init__(self, max_failures: int = 5, window_s: float = 300) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, keys: list[str]) -> int:
        """Return seconds to wait before another try is accepted (0: go ahead)."""
        now = time.monotonic()
        waits = [
            int(failures[0] + self.window_s - now) + 1
            for key in keys
            if len(failures := self._recent(key, now)) >= self.max_failures
        ]
        return max(waits, default=0)

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)


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


def start_session(request: Request, officer: Officer) -> None:
    """Log an officer in on a fresh session (a new CSRF token; nothing carried over)."""
    request.session.clear()
    request.session["officer"] = officer.id
    request.session["csrf"] = secrets.token_urlsafe(24)


def session_officer(request: Request) -> str | None:
    """Return the logged-in officer id, if any."""
    officer = request.session.get("officer")
    return officer if isinstance(officer, str) else None


def require_officer(request: Request) -> str:
    """Return the logged-in officer id, or refuse the request."""
    officer = session_officer(request)
    rota: Rota = request.app.state.deps.rota()
    if officer is None or rota.officer(officer) is None:
        # An officer removed from the rota loses the console at once.
        raise NotLoggedInError("login required")
    return officer


def require_api_officer(request: Request) -> str:
    """Return the logged-in officer id for the JSON API (401 instead of a redirect)."""
    try:
        return require_officer(request)
    except NotLoggedInError as err:
        raise HTTPException(status_code=401, detail="login required") from err


OfficerDep = Annotated[str, Depends(require_officer)]
ApiOfficerDep = Annotated[str, Depends(require_api_officer)]
