"""Same origin for pages other services serve: forward their prefixes, vouch for the officer.

The prefixes and owners come from `services.common.console_identity.WEB_MOUNTS` (decision 0703). The
console adds the logged-in officer (id, language, the session's CSRF token) in a signed
header; a request that came with such a header from outside has it replaced, never trusted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial

import httpx
from fastapi import APIRouter, Request, Response

from schemas.officers import Officer
from services.common.console_identity import (
    OFFICER_HEADER,
    WEB_MOUNTS,
    OfficerIdentity,
    sign_identity,
)
from services.common.logs import get_logger
from services.duty.console.auth import NotLoggedInError, csrf_token, require_officer
from services.duty.console.deps import render
from services.duty.console.i18n import choose_language

log = get_logger(__name__)

# If-None-Match and Prefer (wait=N): a board read while answers arrive is a 304 until one does,
# or is held until one does (decision 0732).
_FORWARDED_REQUEST = (
    "content-type",
    "accept",
    "accept-language",
    "user-agent",
    "if-none-match",
    "prefer",
)
# Every header the page sends passes (Retry-After, Referrer-Policy...) but those that describe
# the hop itself, which the console's own response sets again for its body.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "content-length",
        "content-encoding",  # httpx hands over the body decoded
        "date",
        "server",
    }
)


# A service still starting (its port not open yet) is waited for, briefly (`start_wait_s`): a
# member who opens the link in an alert's first seconds gets the page, not an error. A refused
# connection never reached the service, so asking again cannot act twice, even for a POST.
_ASK_AGAIN_EVERY_S = 0.25


async def _once_open(
    send: Callable[[], Awaitable[httpx.Response]], wait_s: float
) -> httpx.Response:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return await send()
        except httpx.ConnectError:
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(_ASK_AGAIN_EVERY_S)


async def _vouch_for_officer(
    request: Request, identity_key: bytes | Sequence[bytes], headers: dict[str, str]
) -> Officer | None:
    """Add the logged-in officer's signed identity to `headers`; return the officer, if any."""
    try:
        officer_id: str | None = await require_officer(request)
    except NotLoggedInError:
        officer_id = None  # members' pages need no session; officers' pages ask for one
    officer = request.app.state.deps.rota().officer(officer_id) if officer_id else None
    if officer is not None:
        identity = OfficerIdentity(
            officer.id,
            choose_language(request, officer.language.value),
            csrf_token(request),
        )
        headers[OFFICER_HEADER] = sign_identity(identity_key, identity)
    return officer


def _unavailable(request: Request, *, officer: bool) -> Response:
    """The console's own page, in the reader's language; a member (no session) is not sent to
    the officers' list."""
    page = render(
        request, "message.html", {"message_key": "unavailable", "back": officer}, status_code=503
    )
    page.headers["retry-after"] = "10"
    return page


def proxy_router(
    upstreams: Mapping[str, str],
    identity_key: bytes | Sequence[bytes],
    *,
    start_wait_s: float = 15.0,
) -> APIRouter:
    """Route each registered prefix to the web app of the service that owns it."""
    router = APIRouter(include_in_schema=False)
    client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))

    async def forward(request: Request, base: str) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in _FORWARDED_REQUEST}
        officer = await _vouch_for_officer(request, identity_key, headers)
        # At most MAX_BODY_BYTES: the console's BodyLimit refused anything longer while it came.
        body = await request.body()
        url = base.rstrip("/") + request.url.path
        try:
            upstream = await _once_open(
                partial(
                    client.request,
                    request.method,
                    url,
                    params=request.query_params,
                    content=body,
                    headers=headers,
                ),
                start_wait_s,
            )
        except httpx.HTTPError as err:
            log.warning("proxy_upstream_unreachable", url=url, error=str(err))
            return _unavailable(request, officer=officer is not None)
        response = Response(upstream.content, status_code=upstream.status_code)
        for name, value in upstream.headers.multi_items():
            if name.lower() not in _HOP_BY_HOP:
                response.headers.append(name, value)
        return response

    for mount in WEB_MOUNTS:
        base = upstreams.get(mount.service)
        if base is None:
            continue

        async def endpoint(request: Request, rest: str = "", _base: str = base) -> Response:
            return await forward(request, _base)

        router.add_api_route(mount.prefix, endpoint, methods=["GET", "POST"])
        router.add_api_route(mount.prefix + "/{rest:path}", endpoint, methods=["GET", "POST"])
    return router
