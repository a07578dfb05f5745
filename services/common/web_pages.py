"""What every web surface renders with: one template recipe, one page response, one table of
security headers (the console, the response pages it serves, the members' preference pages)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

# Officer pages (the console and the response pages served through it): their own scripts,
# styles and images, inline maps as data: URLs.
OFFICER_PAGES = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)
# A member's preference page: no script at all, its styles inline.
MEMBER_PAGES = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Every surface sends these; a route that sets one itself keeps its own.
SECURITY_HEADERS: Mapping[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Answer, confirm and preference URLs carry a token: never leak them in a Referer header.
    "referrer-policy": "no-referrer",
}
# Pages show who is on duty, what was decided and a member's choices: no shared or back-button
# cache (static files excepted).
NO_STORE = ("cache-control", "no-store")
# Served over TLS: browsers keep to https for a year.
HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


def templates(*directories: Path) -> Jinja2Templates:
    """The templates of one surface, looked up in these directories in order."""
    found = Jinja2Templates(directory=list(directories))
    # Feed titles, organisation names and notes are hostile input: every value is escaped
    # unless a template says otherwise.
    found.env.autoescape = True
    return found


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    found: Jinja2Templates | None = None,
) -> HTMLResponse:
    """Render one page with the surface's templates (`app.state.templates` unless given)."""
    chosen: Jinja2Templates = found or request.app.state.templates
    response: HTMLResponse = chosen.TemplateResponse(
        request, name, context, status_code=status_code
    )
    return response


def secure(
    response: Response, policy: str, *, cache: bool = False, https: bool = False
) -> Response:
    """Give a response the security headers, with this content security policy; `cache` lets
    it be cached (static files), `https` pins browsers to TLS."""
    response.headers.setdefault("content-security-policy", policy)
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if not cache:
        response.headers.setdefault(*NO_STORE)
    if https:
        response.headers.setdefault(*HSTS)
    return response


def add_security_headers(app: FastAPI, policy: str) -> None:
    """Set the security headers on every response of a surface that caches nothing."""

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        return secure(await call_next(request), policy)
