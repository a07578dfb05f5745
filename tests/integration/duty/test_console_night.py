"""The console at night: clear consequences, stale links that say who, a list to act from."""

from __future__ import annotations

from datetime import timedelta

from schemas.acks import AckEvent, AckVia
from schemas.activations import Level
from schemas.pages import Page
from services.common.db import Database
from services.duty.repository import Links
from services.duty.states import Action
from tests.integration.duty.console_app import Console, csrf_of, published
from tests.integration.duty.factories import NOW, activation

SERVICE = "duty"


def ack_link(console: Console, activation_id: object, officer: str) -> str:
    links: Links = console.deps.duty.links
    return links.ack_url(activation_id, officer, NOW).removeprefix(links.base)  # type: ignore[arg-type]


async def test_a_stand_down_keeps_the_internal_note_for_officers_and_sends_members_only_the_message(
    console: Console, database: Database
) -> None:
    incoming = await console.signed_in_after_a_page()
    base = f"/activations/{incoming.activation_id}"
    page = await console.client.get(base)
    await console.client.post(f"{base}/acknowledge", data={"csrf": csrf_of(page.text)})
    confirm = await console.client.get(f"{base}/stand_down/confirm")
    assert "Internal note (officers only)" in confirm.text
    assert "Message to members" in confirm.text and "What members will read" in confirm.text
    form = {
        "csrf": csrf_of(confirm.text),
        "note": "Observer not told yet",
        "member_message": "Teams in Miyagi <stay home>",
    }
    preview = await console.client.post(f"{base}/stand_down/preview", data=form)
    assert preview.status_code == 200
    assert "Message from the duty officer: Teams in Miyagi &lt;stay home&gt;" in preview.text
    assert len(await published(database, AckEvent.topic)) == 2, "a preview sends nothing"
    done = await console.client.post(f"{base}/stand_down", data=form)
    assert done.status_code == 303
    stood = AckEvent.model_validate_json((await published(database, AckEvent.topic))[-1])
    assert stood.member_message == "Teams in Miyagi <stay home>"
    assert stood.note == "Observer not told yet"
    html = (await console.client.get(base)).text
    assert "Internal note: Observer not told yet" in html
    assert 'data-testid="member-message-sent">Teams in Miyagi &lt;stay home&gt;' in html


async def test_a_stale_link_says_who_acknowledged_and_when_and_offers_the_activation(
    console: Console,
) -> None:
    incoming = activation()
    await console.page(incoming)
    # aoki's link is taken first; sato's (paged at the next step) comes too late.
    async with console.deps.db.transaction() as session:
        await console.deps.duty.act(
            session, incoming.activation_id, Action.ESCALATE, None, AckVia.TIMER, NOW
        )
    late = ack_link(console, incoming.activation_id, "sato")
    first = ack_link(console, incoming.activation_id, "aoki")
    open_late = await console.client.get(late)
    assert 'data-testid="confirm-acknowledge"' in open_late.text
    confirm = await console.client.get(first)
    await console.client.post(first, data={"csrf": csrf_of(confirm.text)})

    stale = await console.client.get(late)
    assert stale.status_code == 200
    assert 'data-testid="confirm-acknowledge"' not in stale.text
    assert "Aoki Aoi acknowledged this activation at 2026-11-23 12:01:00 JST" in stale.text
    assert f'href="/activations/{incoming.activation_id}"' in stale.text
    refused = await console.client.post(late, data={"csrf": csrf_of(open_late.text)})
    assert refused.status_code == 409
    assert "Aoki Aoi acknowledged this activation" in refused.text


async def test_the_console_shows_times_in_the_configured_zone_not_the_rotas(
    console: Console,
) -> None:
    # The rota's shifts are in Tokyo; the platform is configured for Berlin (UTC+1).
    console.deps.settings = console.deps.settings.model_copy(update={"timezone": "Europe/Berlin"})
    incoming = activation()
    await console.page(incoming)
    first = ack_link(console, incoming.activation_id, "aoki")
    confirm = await console.client.get(first)
    await console.client.post(first, data={"csrf": csrf_of(confirm.text)})
    stale = await console.client.get(first)
    assert "acknowledged this activation at 2026-11-23 04:01:00 CET" in stale.text


async def test_the_list_filters_and_acknowledges_without_leaving_it(console: Console) -> None:
    quake = activation(title="Quake in Japan")
    watch = activation(Level.WATCH, title="Watch-only flood")
    await console.page(quake)
    await console.page(watch, at=NOW + timedelta(seconds=1))
    await console.login()
    listing = await console.client.get("/?level=activate&state=paged&country=jpn")
    assert "Quake in Japan" in listing.text and "Watch-only flood" not in listing.text
    assert "Escalates in" in listing.text and "then pages Sato Ken" in listing.text
    assert (await console.client.get("/?country=PHL")).text.count('data-testid="activation"') == 0
    assert "Quake in Japan" in (await console.client.get("/?mine=1")).text
    assert (await console.client.get("/?level=purple")).status_code == 400

    done = await console.client.post(
        f"/activations/{quake.activation_id}/acknowledge",
        data={"csrf": csrf_of(listing.text), "next": "/?level=activate"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/?level=activate"
    after = (await console.client.get("/?level=activate")).text
    assert 'data-testid="owner">Aoki Aoi' in after and 'data-testid="list-acknowledge"' not in after


async def test_the_japanese_console_gives_reasons_codes_and_names_in_japanese(
    console: Console, database: Database
) -> None:
    incoming = activation()
    reasons = [
        r.model_copy(update={"sentence_ja": f"理由{i}"}) for i, r in enumerate(incoming.reasons)
    ]
    await console.page(incoming.model_copy(update={"reasons": reasons}))
    await console.login()
    console.client.cookies.set("lang", "ja")
    html = (await console.client.get(f"/activations/{incoming.activation_id}")).text
    assert "理由0" in html and "GDACS alert level Red" not in html
    assert "地震" in html and "呼び出し中" in html and "Aoki Aoi" in html
    assert "当番 · Aoki Aoi" in html and "副当番 · Sato Ken" in html
    page = Page.model_validate_json((await published(database, Page.topic))[0])
    assert page.next_names == ["Sato Ken"] and page.score == 91
    assert page.escalates_at == NOW + timedelta(minutes=5)
