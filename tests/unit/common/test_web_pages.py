"""Every web surface sends the one table of security headers, with its own content policy."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from services.common.web_pages import (
    HSTS,
    MEMBER_PAGES,
    NO_STORE,
    OFFICER_PAGES,
    SECURITY_HEADERS,
    secure,
)
from services.notifier.web.app import PreferenceDeps
from services.notifier.web.app import create_app as preference_app
from services.response.web.app import WebDeps
from services.response.web.app import create_app as response_app

NOTHING = cast(Any, None)  # /healthz and the refusals below touch none of the service's parts


def _surfaces() -> list[tuple[str, FastAPI, str]]:
    response = response_app(
        WebDeps(NOTHING, NOTHING, NOTHING, NOTHING, identity_key=b"i" * 32, clock=NOTHING)
    )
    preferences = preference_app(PreferenceDeps(db=NOTHING, links=NOTHING, directory=NOTHING))
    return [("response", response, OFFICER_PAGES), ("preferences", preferences, MEMBER_PAGES)]


@pytest.mark.parametrize("path", ["/healthz", "/rollcall", "/nowhere"])
async def test_each_surface_sends_the_table_on_every_response(path: str) -> None:
    for name, app, policy in _surfaces():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
            response = await client.get(path)
        expected = {"content-security-policy": policy, **SECURITY_HEADERS, NO_STORE[0]: NO_STORE[1]}
        sent = {k: response.headers.get(k) for k in expected}
        assert sent == expected, name
        assert HSTS[0] not in response.headers, name


def test_a_route_keeps_its_own_header_and_static_files_may_be_cached() -> None:
    from starlette.responses import Response

    own = secure(Response(headers={"cache-control": "max-age=60"}), OFFICER_PAGES, https=True)
    assert own.headers["cache-control"] == "max-age=60"
    assert own.headers[HSTS[0]] == HSTS[1]
    static = secure(Response(), OFFICER_PAGES, cache=True)
    assert "cache-control" not in static.headers
    assert static.headers["x-frame-options"] == "DENY"
