"""Build the console's FastAPI app and serve it with uvicorn inside the duty service."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.common.keys import derived_key
from services.common.web_pages import OFFICER_PAGES, secure
from services.common.web_server import serve_app
from services.duty.cap import router as cap
from services.duty.console import api, audit, links, pages, security_log
from services.duty.console.auth import CsrfError, NotLoggedInError
from services.duty.console.deps import ConsoleDeps, render, safe_next, templates
from services.duty.console.guard import cross_site_refusal
from services.duty.repository import ActivationNotFoundError

__all__ = ["ConsoleDeps", "create_app", "serve_console", "session_secret"]


_HERE = Path(__file__).resolve().parent


def session_secret(signing_key: str) -> str:
    """Derive the cookie-signing key from the duty key, so one secret is configured."""
    return derived_key(signing_key, "standby.duty.console-session")


def create_app(deps: ConsoleDeps) -> FastAPI:
    """Assemble the console: pages, confirm links, JSON API, static files, middleware."""
    app = FastAPI(
        title="standby duty console API",
        version="1",
        description="Activations, their timelines and deliveries; duty actions by logged-in officers.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.deps = deps
    app.state.templates = templates()
    app.add_middleware(
        SessionMiddleware,
        # Sessions last 12 hours: after a rotation officers log in again, nothing else breaks.
        secret_key=session_secret(deps.keys[-1].decode()),
        session_cookie="standby_session",
        max_age=12 * 3600,
        # Lax, not Strict: a link opened from a mail client must still find the session.
        same_site="lax",
        https_only=deps.secure,
    )

    _add_security_layer(app, deps)
    _add_error_pages(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/lang/{language}", include_in_schema=False)
    async def set_language(request: Request, language: str) -> Response:
        back = request.query_params.get("next", "/")
        response = RedirectResponse(safe_next(back), status_code=303)
        if language in ("ja", "en"):
            response.set_cookie(
                "lang",
                language,
                max_age=365 * 86400,
                samesite="lax",
                httponly=True,
                secure=deps.secure,
            )
        return response

    app.include_router(pages.router)
    app.include_router(links.router)
    app.include_router(api.router)
    app.include_router(cap.router)  # public, read-only: no login
    app.include_router(security_log.router)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    if deps.settings.trusted_proxies:
        # Outermost, so every other layer sees the client the named proxies vouch for; from
        # any other address X-Forwarded-For is ignored (uvicorn's own handling is off).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=deps.settings.trusted_proxies)
    return app


def _add_security_layer(app: FastAPI, deps: ConsoleDeps) -> None:
    """Refuse cross-site writes and set the security headers on every response."""

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        refusal = cross_site_refusal(
            request.method, request.headers, request.base_url, deps.settings.public_url
        )
        if refusal is not None:
            await audit.record(
                deps.db.transaction,
                audit.SecurityKind.ORIGIN_REFUSED,
                deps.clock(),
                source=audit.client_source(request.client.host if request.client else None),
                detail=refusal,
            )
            response: Response = JSONResponse({"detail": "cross-site request refused"}, 403)
        else:
            response = await call_next(request)
        static = request.url.path.startswith("/static/")
        return secure(response, OFFICER_PAGES, cache=static, https=deps.secure)


def _add_error_pages(app: FastAPI) -> None:
    """Send a missing login to the login page, an unknown activation and a CSRF failure to
    their messages."""

    @app.exception_handler(NotLoggedInError)
    async def to_login(request: Request, _: NotLoggedInError) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(ActivationNotFoundError)
    async def not_found(request: Request, _: ActivationNotFoundError) -> Response:
        return render(request, "message.html", {"message_key": "not_found"}, status_code=404)

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, _: CsrfError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)
        return render(request, "message.html", {"message_key": "csrf_failed"}, status_code=403)


async def serve_console(app: FastAPI, host: str, port: int) -> None:
    """Serve the console until cancelled, then shut uvicorn down gracefully."""
    # uvicorn trusts X-Forwarded-For from loopback by default: the app decides instead.
    await serve_app(app, host, port, name="console", proxy_headers=False)
