"""Build the preference pages' FastAPI app and serve it inside the notifier."""

from __future__ import annotations

import socket

from fastapi import FastAPI

from services.common.logs import get_logger
from services.common.web_pages import MEMBER_PAGES, add_security_headers
from services.common.web_server import serve_app
from services.notifier.web import links, pages
from services.notifier.web.deps import PreferenceDeps, templates

__all__ = ["PreferenceDeps", "create_app", "serve_preferences"]

log = get_logger(__name__)


def create_app(deps: PreferenceDeps) -> FastAPI:
    """Assemble the members' preference pages."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.state.templates = templates()
    add_security_headers(app, MEMBER_PAGES)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(links.router)
    app.include_router(pages.router)
    return app


async def serve_preferences(app: FastAPI, host: str, port: int) -> None:
    """Serve the preference pages until cancelled.

    A port that cannot be bound is logged and the pages stay off: alerts matter more.
    """
    # Bound here, not by uvicorn: uvicorn answers a taken port with sys.exit, which would
    # end the whole notifier.
    try:
        sock = socket.create_server((host, port), reuse_port=False)
    except OSError as err:
        log.error("preferences_unavailable", host=host, port=port, error=str(err))
        return
    await serve_app(app, host, port, name="preferences", sock=sock)
