"""Text parts go as raw UTF-8 (8bit) to a server with 8BITMIME, and base64 to one without;
the incident map goes beside them as a PNG the HTML shows by its Content-ID, either way."""

from __future__ import annotations

import contextlib
import email
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from schemas.activations import Activation
from schemas.deliveries import Channel
from schemas.members import Contact, Language, MemberDirectory, Organisation
from services.common.config_files import load_yaml_model
from services.common.settings import SmtpSettings
from services.domain.answer_links import AnswerLinkSigner
from services.notifier.compose import Target
from services.notifier.map_image import InlineImage, alert_image
from services.notifier.personal import MARKER, Personal, Personaliser
from services.notifier.rendering import Renderer
from services.notifier.smtp_pool import SmtpPool
from tests.conftest import free_port
from tests.integration.notifier.smtp_servers import serving
from tests.messages import red_quake_activation
from tests.unit.notifier.composing import alert_jobs, contact_target

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml"
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
# reyes reads English (a few non-ASCII characters), abe Japanese.
READERS = {Language.EN: ("hope-bridge", "reyes"), Language.JA: ("tohoku-relief", "abe")}


class Recorder:
    """Accepts everything; notes each MAIL FROM's parameters and each message as received."""

    def __init__(self, *, eight_bit: bool) -> None:
        self.eight_bit = eight_bit
        self.lock = threading.Lock()
        self.mail_options: list[list[str]] = []
        self.received: dict[str, bytes] = {}

    async def handle_EHLO(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> list[str]:
        session.host_name = hostname
        if self.eight_bit:
            return list(responses)
        return [line for line in responses if line[4:].upper() != "8BITMIME"]

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            self.mail_options.append(list(options))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        with self.lock:
            self.received[envelope.rcpt_tos[0]] = envelope.original_content or b""
        return "250 OK"


@contextlib.contextmanager
def recording_server(port: int, *, eight_bit: bool) -> Iterator[Recorder]:
    recorder = Recorder(eight_bit=eight_bit)
    with serving(Controller(recorder, hostname="127.0.0.1", port=port)):
        yield recorder


def _activation() -> Activation:
    # A dash makes the English text non-ASCII too, as feeds' titles often are.
    title = "Red earthquake alert (M 7.6) in the Philippines — Mindanao"
    return red_quake_activation(NOW, title=title)


def _jobs_and_texts() -> tuple[list[Any], dict[str, str], dict[Language, InlineImage]]:
    """Each reader's email job (own answer links and matches) and the text it should read."""
    directory = load_yaml_model(EXAMPLE, MemberDirectory)
    renderer = Renderer()
    signer = AnswerLinkSigner(b"k" * 32, timedelta(days=7))
    personaliser = Personaliser(renderer.env, signer, "https://console.example", lambda: NOW)
    act = _activation()
    images = {lang: alert_image(act.summary, lang) for lang in READERS}
    rendered = {
        lang: renderer.member_alert(lang, act, directory.secretariat, images[lang])
        for lang in READERS
    }
    targets: list[Target] = []
    texts: dict[str, str] = {}
    for language, (org_id, contact_id) in READERS.items():

        def personal(org: Organisation, contact: Contact) -> Personal:
            return personaliser.block(contact.language, org, contact, act.incident_id, act.summary)

        target = contact_target(directory, org_id, contact_id, personal)
        assert target.language is language and target.email is not None
        assert target.personal is not None
        targets.append(target)
        assert MARKER in rendered[language].text
        texts[target.email] = rendered[language].text.replace(MARKER, target.personal.text)
    jobs = [
        j for j in alert_jobs(act, targets, rendered, "alert:8bit") if j.channel is Channel.EMAIL
    ]
    assert len(jobs) == len(READERS)
    return jobs, texts, images


@pytest.mark.parametrize("eight_bit", [True, False], ids=["8bitmime", "without-8bitmime"])
async def test_the_text_read_is_the_text_rendered_with_and_without_8bitmime(
    eight_bit: bool,
) -> None:
    jobs, texts, images = _jobs_and_texts()
    # The bodies are composed once in 8bit; the pool picks the form per connection.
    assert all(not job.payload.isascii() for job in jobs)
    port = free_port()
    with recording_server(port, eight_bit=eight_bit) as server:
        pool = SmtpPool(SmtpSettings(port=port, pool_size=1, timeout_s=5))
        for job in jobs:
            await pool.send("standby@example.org", job.recipient, job.payload)
        await pool.close()

    assert len(server.mail_options) == len(jobs)
    for options in server.mail_options:
        assert options == (["BODY=8BITMIME"] if eight_bit else [])
    assert set(server.received) == set(texts)
    for recipient, raw in server.received.items():
        job = next(j for j in jobs if j.recipient == recipient)
        if eight_bit:
            assert raw == job.payload
        else:
            assert raw.isascii(), "a server without 8BITMIME takes 7-bit bytes only"
        mail = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        assert mail["Message-ID"] == job.message_id
        text = mail.get_body(("plain",))
        assert text is not None
        assert text["Content-Transfer-Encoding"] == ("8bit" if eight_bit else "base64")
        content = text.get_content().replace("\r\n", "\n")
        assert content == "\n".join(texts[recipient].splitlines()) + "\n"
        html = mail.get_body(("html",))
        assert html is not None and "/respond/" in html.get_content()
        # The map: a PNG beside the alternatives, shown by the HTML, with words for it.
        assert mail.get_content_type() == "multipart/related"
        [picture] = [p for p in mail.iter_parts() if p.get_content_type() == "image/png"]
        image = images[Language.JA if recipient.endswith(".jp") else Language.EN]
        assert picture["Content-ID"] == f"<{image.cid}>"
        assert picture.get_content() == image.png
        assert f'src="cid:{image.cid}"' in html.get_content()
        assert f'alt="{image.alt}"' in unescape(html.get_content())
        assert ("震源" if image is images[Language.JA] else "Epicentre") in image.alt
