"""Every standby link in every rendered message opens its page on the console.

Duty pages an activation for real (its outbox holds the page it hands the notifier); the
notifier's renderer writes every kind of message in both languages from it; each link to
the console found in the plain text, the HTML and the chat text is opened against the app.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from schemas.hazards import Link
from schemas.members import Language, Secretariat
from schemas.pages import Page
from schemas.vocabulary import Notice
from services.common.db import Database
from services.common.outbox import outbox
from services.notifier.rendering import Rendered, Renderer
from tests.integration.duty.console_app import BASE, Console, client_for, console_deps
from tests.integration.duty.factories import activation

SERVICE = "duty"
SECRETARIAT = Secretariat(name_ja="事務局", name_en="Secretariat", email="desk@example.jp")
_URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
async def console(database: Database) -> AsyncIterator[Console]:
    deps = console_deps(database)
    async with client_for(deps) as client:
        yield Console(deps, client)


def console_links(body: str) -> set[str]:
    return {url for url in _URL.findall(html.unescape(body)) if url.startswith(BASE)}


async def pages_handed_to_the_notifier(database: Database) -> list[Page]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.topic == Page.topic).order_by(outbox.c.id)
        )
        return [Page.model_validate_json(payload) for payload in rows.scalars()]


async def test_every_console_link_of_every_message_kind_opens_in_both_languages(
    console: Console, database: Database
) -> None:
    plain = activation()
    # A feed link after the ack link: the case where a template once glued the two together.
    report = Link(rel="report", url="https://www.gdacs.org/report.aspx?eventid=1052901")
    incoming = plain.model_copy(
        update={"summary": plain.summary.model_copy(update={"links": [report]})}
    )
    await console.page(incoming)
    pages = await pages_handed_to_the_notifier(database)
    assert len(pages) == 1 and pages[0].ack_url and pages[0].console_url
    page = pages[0]
    renderer = Renderer()
    messages: list[tuple[str, Rendered]] = []
    for language in Language:
        messages.append(("page", renderer.page(language, page)))
        messages.append(("alert", renderer.member_alert(language, incoming, SECRETARIAT)))
        for notice in Notice:
            rendered = renderer.notice(language, notice, incoming.summary, SECRETARIAT, None)
            messages.append((notice.value, rendered))

    opened = 0
    for kind, message in messages:
        for form, body in (("text", message.text), ("html", message.html), ("chat", message.chat)):
            found = console_links(body)
            where = f"{kind} {message.language.value} {form}"
            if kind == "page":
                # The exact links duty issued, each standing alone (not glued to the next one).
                wanted = {page.ack_url} if form == "chat" else {page.ack_url, page.console_url}
                assert found == wanted, where
                assert report.url in body, where
            for url in found:
                response = await console.client.get(url.removeprefix(BASE), follow_redirects=True)
                assert response.status_code == 200, (
                    f"{where}: {url} answered {response.status_code}"
                )
                if url == page.ack_url:
                    assert 'data-testid="confirm-acknowledge"' in response.text, where
                opened += 1
    assert opened >= 10  # page: 2 links in text and HTML, 1 in chat, in two languages
