"""Build the response pages' FastAPI app and serve it with uvicorn inside the response service."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from services.common.web_pages import OFFICER_PAGES, add_security_headers
from services.common.web_server import serve_app
from services.response.web import decisions, links, pages
from services.response.web.auth import CsrfRefusedError, OfficerRequiredError, officer_language
from services.response.web.deps import WebDeps, message, templates
from services.response.web.guard import PageInsteadError

__all__ = ["WebDeps", "create_app", "serve_web"]


def create_app(deps: WebDeps) -> FastAPI:
    """Assemble the roll-call pages."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.state.templates = templates()
    # The console's own: these pages are served from its origin.
    add_security_headers(app, OFFICER_PAGES)
    _add_error_pages(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(links.router)
    app.include_router(pages.router)
    app.include_router(decisions.router)
    return app


def _add_error_pages(app: FastAPI) -> None:
    """Send a missing officer to the console's login, a refused link or closed roll-call to its
    page, a CSRF failure to its message."""

    @app.exception_handler(OfficerRequiredError)
    async def to_login(request: Request, _: OfficerRequiredError) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PageInsteadError)
    async def page_instead(request: Request, err: PageInsteadError) -> Response:
        return err.page

    @app.exception_handler(CsrfRefusedError)
    async def csrf_refused(request: Request, _: CsrfRefusedError) -> Response:
        return message(request, "csrf_failed", officer_language(request), status_code=403)


async def serve_web(app: FastAPI, host: str, port: int) -> None:
    """Serve the pages until cancelled, then shut uvicorn down gracefully."""
    await serve_app(app, host, port, name="response_web")
