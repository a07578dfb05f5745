"""The console's proxy waits for a service that is still starting instead of refusing the page."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from services.duty.console.proxy import proxy_router
from services.runtime.embedded import free_port
from tests.http_servers import served

posts: list[bytes] = []


class AnswerPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(b"the answer page")

    def do_POST(self) -> None:
        posts.append(self.rfile.read(int(self.headers["content-length"])))
        self._answer(b"answer kept")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def starting_later(port: int, after_s: float, stop: threading.Event) -> threading.Thread:
    """The response service's web server, listening only `after_s` from now."""

    def run() -> None:
        time.sleep(after_s)
        with served(AnswerPage, port=port):
            stop.wait()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_link_opened_while_the_service_starts_gets_its_page_and_acts_once(
    method: str,
) -> None:
    posts.clear()
    port = free_port()
    app = FastAPI()
    app.state.deps = SimpleNamespace()  # no session cookie: the officer is never looked up
    app.add_middleware(SessionMiddleware, secret_key="test")  # an empty session: no officer
    app.include_router(proxy_router({"response": f"http://127.0.0.1:{port}"}, b"k" * 32))
    stop = threading.Event()
    server = starting_later(port, 1.5, stop)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            started = time.monotonic()
            answered = await client.request(
                method,
                "/respond/incident/org/token",
                data={"answer": "can_deploy"} if method == "POST" else None,
                timeout=30,
            )
            waited = time.monotonic() - started
    finally:
        stop.set()
        server.join(timeout=5)
    assert answered.status_code == 200, answered.text
    assert answered.text == ("answer kept" if method == "POST" else "the answer page")
    assert waited >= 1.0  # it did wait for the service to open its port
    assert posts == ([b"answer=can_deploy"] if method == "POST" else [])
