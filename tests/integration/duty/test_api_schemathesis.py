"""The JSON API against its own OpenAPI document: schemathesis generates the requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings

from schemas.activations import Level
from services.common.db import Database
from services.duty.console.app import create_app
from tests.conftest import free_port
from tests.integration.duty.console_app import Console, console_deps, csrf_of
from tests.integration.duty.factories import PASSWORD, activation


class ConsoleServer(threading.Thread):
    """The console on a real port, its database living on the server's own event loop."""

    def __init__(self, db_path: Path) -> None:
        super().__init__(daemon=True)
        self.db_path = db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        db = Database(f"sqlite+aiosqlite:///{self.db_path}", "duty")
        await db.migrate()
        deps = console_deps(db)
        console = Console(deps, httpx.AsyncClient())
        for level in (Level.ACTIVATE, Level.STANDBY, Level.WATCH):
            await console.page(activation(level))
        config = uvicorn.Config(create_app(deps), port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.ready.set()
        await self.server.serve()
        await db.dispose()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    server = ConsoleServer(tmp_path_factory.mktemp("api") / "duty.db")
    server.start()
    assert server.ready.wait(30)
    with httpx.Client(base_url=server.url) as client:
        for _ in range(100):
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)
    yield server
    assert server.server is not None
    server.server.should_exit = True
    server.join(10)


@pytest.fixture(scope="module")
def officer_headers(console_server: ConsoleServer) -> dict[str, str]:
    """A logged-in officer's cookie and CSRF header, so generated calls reach the handlers."""
    with httpx.Client(base_url=console_server.url) as client:
        form = client.get("/login")
        client.post(
            "/login", data={"officer_id": "aoki", "password": PASSWORD, "csrf": csrf_of(form.text)}
        )
        token = client.get("/api/v1/me").json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return {"Cookie": cookie, "X-CSRF-Token": token}


@pytest.fixture(scope="module")
def api_schema(console_server: ConsoleServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{console_server.url}/api/openapi.json")


def test_the_api_honours_its_openapi_document(
    api_schema: schemathesis.BaseSchema, officer_headers: dict[str, str]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 5
    seen: set[tuple[str, int]] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=officer_headers)
            seen.add((case.operation.label, response.status_code))

        conforms()
    # The generated calls got past the login into the handlers, not only to 401s.
    assert ("GET /api/v1/activations", 200) in seen
    assert ("GET /api/v1/me", 200) in seen
    assert any(label.startswith("POST") and code in (404, 409, 200) for label, code in seen)


def test_the_openapi_document_describes_every_api_route(console_server: ConsoleServer) -> None:
    document = httpx.get(f"{console_server.url}/api/openapi.json").json()
    assert set(document["paths"]) == {
        "/api/v1/me",
        "/api/v1/activations",
        "/api/v1/activations/{activation_id}",
        "/api/v1/activations/{activation_id}/deliveries",
        "/api/v1/activations/{activation_id}/actions/{action}",
    }
