"""The console over HTTP: login, CSRF, throttling, pages, the signed-link confirm page, the API."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select

from schemas.activations import Level
from services.common.db import Database
from services.common.outbox import outbox
from services.common.web_pages import NO_STORE, OFFICER_PAGES, SECURITY_HEADERS
from services.duty.repository import Links
from tests.integration.duty.console_app import Console, csrf_of, published
from tests.integration.duty.factories import NOW, activation

SERVICE = "duty"


def ack_link(console: Console, activation_id: object, officer: str = "aoki") -> str:
    links: Links = console.deps.duty.links
    return links.ack_url(activation_id, officer, NOW).removeprefix(links.base)  # type: ignore[arg-type]


async def test_every_page_but_login_requires_a_session(console: Console) -> None:
    response = await console.client.get("/activations/" + str(uuid4()))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Factivations%2F")
    assert (await console.client.get("/api/v1/activations")).status_code == 401


async def test_an_officer_logs_in_and_sees_open_activations_newest_first(console: Console) -> None:
    older, newer = activation(title="Older quake"), activation(title="Newer cyclone")
    await console.page(older, at=NOW)
    await console.page(newer, at=NOW + timedelta(seconds=30))
    response = await console.login()
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    html = (await console.client.get("/")).text
    assert 0 < html.index("Newer cyclone") < html.index("Older quake")
    assert 'class="activation level-activate"' in html


async def test_a_wrong_password_is_refused_and_repeated_failures_are_throttled(
    console: Console,
) -> None:
    statuses = [(await console.login(password="guess")).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    throttled = await console.login()  # even the right password waits now
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0


async def test_a_form_without_its_csrf_token_is_refused(console: Console) -> None:
    incoming = await console.signed_in_after_a_page()
    response = await console.client.post(
        f"/activations/{incoming.activation_id}/acknowledge", data={"csrf": "forged"}
    )
    assert response.status_code == 403
    api = await console.client.post(f"/api/v1/activations/{incoming.activation_id}/actions/launch")
    assert api.status_code == 403


async def test_acknowledge_then_the_boards_launch_publishes_and_shows_the_timeline(
    console: Console, database: Database
) -> None:
    incoming = await console.signed_in_after_a_page()
    page = await console.client.get(f"/activations/{incoming.activation_id}")
    response = await console.client.post(
        f"/activations/{incoming.activation_id}/acknowledge", data={"csrf": csrf_of(page.text)}
    )
    assert response.status_code == 303
    await console.programme(incoming)
    html = (await console.client.get(f"/activations/{incoming.activation_id}")).text
    assert 'data-testid="state">Programme launched' in html
    assert "GDACS alert level Red" in html
    # Neither Launch nor Stand down once the programme runs: closing is the board's step.
    assert 'data-testid="action-launch"' not in html
    assert 'data-testid="action-stand_down"' not in html
    assert f'href="/rollcall/{incoming.incident_id}#close"' in html
    async with database.sessions() as session:
        topics = (await session.execute(select(outbox.c.topic).order_by(outbox.c.id))).scalars()
        assert list(topics) == ["pages.v1", "acks.v1", "acks.v1", "acks.v1"]


async def test_opening_a_signed_link_changes_nothing_and_only_its_post_acknowledges(
    console: Console,
) -> None:
    incoming = activation()
    await console.page(incoming)
    link = ack_link(console, incoming.activation_id)
    for _ in range(3):  # a mail scanner prefetching the link
        confirm = await console.client.get(link)
        assert confirm.status_code == 200 and "Paged" in confirm.text
    done = await console.client.post(link, data={"csrf": csrf_of(confirm.text)})
    assert done.status_code == 200 and 'data-key="acknowledged_by_you"' in done.text
    again = await console.client.post(link, data={"csrf": csrf_of(confirm.text)})
    assert again.status_code == 410 and 'data-reason="spent"' in again.text
    assert 'data-reason="spent"' in (await console.client.get(link)).text


async def test_a_link_for_an_officer_never_paged_is_refused(console: Console) -> None:
    incoming = activation()
    await console.page(incoming)
    link = ack_link(console, incoming.activation_id, officer="ito")
    response = await console.client.get(link)
    assert response.status_code == 403 and 'data-reason="wrong_officer"' in response.text


async def test_a_feed_title_with_markup_is_shown_as_text(console: Console) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> Quake'
    incoming = activation(title=hostile)
    await console.page(incoming)
    await console.login()
    for path in ("/", f"/activations/{incoming.activation_id}"):
        html = (await console.client.get(path)).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


async def test_the_console_speaks_japanese_when_asked(console: Console) -> None:
    await console.page(activation(Level.STANDBY))
    await console.login()
    switched = await console.client.get("/lang/ja?next=/")
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    html = (await console.client.get("/")).text
    assert "発動一覧" in html and "呼び出し中" in html and 'lang="ja"' in html


async def test_the_lang_switch_does_not_redirect_off_site(console: Console) -> None:
    response = await console.client.get("/lang/en?next=//evil.example/")
    assert response.headers["location"] == "/"


async def test_the_api_lists_details_and_acts_with_the_csrf_header(console: Console) -> None:
    incoming = await console.signed_in_after_a_page()
    me = (await console.client.get("/api/v1/me")).json()
    listed = (await console.client.get("/api/v1/activations")).json()
    assert [item["activation_id"] for item in listed] == [str(incoming.activation_id)]
    acted = await console.client.post(
        f"/api/v1/activations/{incoming.activation_id}/actions/acknowledge",
        headers={"x-csrf-token": me["csrf_token"]},
        json={"note": "on it"},
    )
    assert acted.status_code == 200 and acted.json()["state"] == "acknowledged"
    conflict = await console.client.post(
        f"/api/v1/activations/{incoming.activation_id}/actions/escalate",
        headers={"x-csrf-token": me["csrf_token"]},
    )
    assert conflict.status_code == 409
    detail = (await console.client.get(f"/api/v1/activations/{incoming.activation_id}")).json()
    notes = [e["text"] for e in detail["timeline"] if e["kind"] == "transition"]
    assert notes[-1] == "on it" and detail["acknowledged_by"] == "aoki"


async def test_responses_carry_security_headers(console: Console) -> None:
    response = await console.client.get("/login")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_console_sends_the_one_header_table_and_caches_only_static_files(
    console: Console,
) -> None:
    page, static = (
        await console.client.get("/login"),
        await console.client.get("/static/console.css"),
    )
    for response in (page, static):
        assert response.headers["content-security-policy"] == OFFICER_PAGES
        assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert page.headers[NO_STORE[0]] == NO_STORE[1] and NO_STORE[0] not in static.headers


async def test_the_consoles_launch_leads_to_the_boards_one_launch(
    console: Console, database: Database
) -> None:
    incoming = await console.signed_in_after_a_page()
    base = f"/activations/{incoming.activation_id}"
    too_early = await console.client.get(f"{base}/launch/confirm")
    assert too_early.status_code == 303 and too_early.headers["location"].endswith(
        "error=not_allowed"
    )
    page = await console.client.get(base)
    await console.client.post(f"{base}/acknowledge", data={"csrf": csrf_of(page.text)})
    html = (await console.client.get(base)).text
    assert f'href="/rollcall/{incoming.incident_id}#launch"' in html
    confirm = await console.client.get(f"{base}/launch/confirm")
    assert confirm.status_code == 303
    assert confirm.headers["location"] == f"/rollcall/{incoming.incident_id}#launch"
    refused = await console.client.post(f"{base}/launch", data={"csrf": csrf_of(html)})
    assert refused.headers["location"].endswith("error=not_allowed")
    assert len(await published(database, "acks.v1")) == 2  # paged, acknowledged: no launch
