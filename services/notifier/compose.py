"""Turn a rendered message and its recipients into jobs: keys, Message-IDs, threads, bodies."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from pydantic import SecretStr

from schemas.base import utcnow
from schemas.deliveries import Channel, DeliveryKind
from schemas.members import Contact, Language, Organisation
from services.common.errors import DeliveryError
from services.common.settings import NotifierSettings
from services.notifier.jobs import Job, chat_body, delivery_key
from services.notifier.mime import (
    BodyFrame,
    MailBody,
    address,
    build_body,
    encode_part,
    headers,
    message_id_for,
)
from services.notifier.personal import MARKER, Personal
from services.notifier.preferences import PreferenceLinks
from services.notifier.recipients import EVERY_CHANNEL, Addressee
from services.notifier.rendering import Rendered
from services.notifier.wording import LINK_MAIL_WORDS


@dataclass(frozen=True, slots=True)
class Target:
    """Someone to reach: a member contact or a duty officer, with the channels to use."""

    ref: str
    organisation_id: str | None
    contact_id: str
    name: str
    language: Language
    email: str | None
    apprise_urls: Sequence[SecretStr | str] = ()
    channels: frozenset[Channel] = EVERY_CHANNEL
    personal: Personal | None = None


def member_target(
    org: Organisation,
    contact: Contact,
    language: Language,
    channels: frozenset[Channel] = EVERY_CHANNEL,
) -> Target:
    """A member contact to reach in `language`, named with its organisation."""
    org_name = org.name_ja if language is Language.JA else org.name_en
    return Target(
        ref=f"{org.id}/{contact.id}",
        organisation_id=org.id,
        contact_id=contact.id,
        name=f"{contact.name} ({org_name})",
        language=language,
        email=contact.email,
        apprise_urls=contact.apprise_urls,
        channels=channels,
    )


def targets_of(addressees: Sequence[Addressee]) -> list[Target]:
    """The targets of members the domain chose, in its order."""
    return [member_target(a.organisation, a.contact, a.language, a.channels) for a in addressees]


@dataclass(slots=True)
class Batch:
    """The jobs of one message, the bodies they share, and the threads they start."""

    jobs: list[Job] = field(default_factory=list)
    bodies: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    new_roots: dict[str, str] = field(default_factory=dict)


class Composer:
    """Build jobs for one kind of message to many targets."""

    def __init__(self, settings: NotifierSettings, links: PreferenceLinks | None = None) -> None:
        self.settings = settings
        self.links = links
        smtp = settings.smtp
        self.sender = Address(display_name=smtp.from_name, addr_spec=smtp.from_address)
        self._bodies: dict[tuple[Rendered, str | None], MailBody] = {}
        self._frames: dict[
            tuple[str, Language, str | None, tuple[str, str], str | None], BodyFrame
        ] = {}

    def compose(
        self,
        *,
        scope: str,
        kind: DeliveryKind,
        activation_id: str,
        incident_id: str | None,
        targets: Sequence[Target],
        rendered: dict[Language, Rendered],
        roots: dict[str, str],
        reply_to: str | None = None,
    ) -> Batch:
        """Make one email job and one chat job per URL for each target."""
        batch = Batch()
        mail_bodies: dict[Language, str] = {}
        chat_bodies: dict[Language, tuple[str, bytes]] = {}
        for language, message in rendered.items():
            mail_bodies[language], chat_bodies[language] = self._add_bodies(
                batch, _personalised(message, None), reply_to
            )
        date = format_datetime(utcnow())
        for target in targets:
            body_id, (chat_id, chat) = (
                self._own_bodies(batch, rendered[target.language], target, reply_to)
                if target.personal is not None
                else (mail_bodies[target.language], chat_bodies[target.language])
            )
            common = {
                "kind": kind,
                "activation_id": activation_id,
                "incident_id": incident_id,
                "organisation_id": target.organisation_id,
                "contact_id": target.contact_id,
            }
            if target.email and Channel.EMAIL in target.channels:
                batch.jobs.append(
                    self._email_job(
                        batch, scope, kind, target, target.email, roots, date, body_id, common
                    )
                )
            if Channel.CHAT in target.channels:
                for index, url in enumerate(target.apprise_urls):
                    batch.jobs.append(
                        Job(
                            key=delivery_key(scope, target.ref, Channel.CHAT, index),
                            channel=Channel.CHAT,
                            recipient=url.get_secret_value() if isinstance(url, SecretStr) else url,
                            message_id=None,
                            headers=b"",
                            body_id=chat_id,
                            body=chat,
                            **common,  # type: ignore[arg-type]
                        )
                    )
        return batch

    def _email_job(
        self,
        batch: Batch,
        scope: str,
        kind: DeliveryKind,
        target: Target,
        email: str,
        roots: dict[str, str],
        date: str,
        body_id: str,
        common: dict[str, Any],
    ) -> Job:
        """The target's mail, threaded under the first mail it had of this activation."""
        key = delivery_key(scope, target.ref, Channel.EMAIL)
        message_id = message_id_for(key, self.settings.message_id_domain)
        root = roots.get(target.ref) or batch.new_roots.get(target.ref)
        if root is None:
            batch.new_roots[target.ref] = root = message_id
        return Job(
            key=key,
            channel=Channel.EMAIL,
            recipient=email,
            message_id=message_id,
            headers=headers(
                recipient=_to(target),
                message_id=message_id,
                thread_root=root,
                kind=kind.value,
                date=date,
                unsubscribe_url=self._unsubscribe(kind, target),
            ),
            body_id=body_id,
            body=batch.bodies[body_id][1],
            **common,
        )

    def _body(self, message: Rendered, reply_to: str | None) -> MailBody:
        # A long list is composed in chunks from the same rendered messages: serialise once.
        mail = self._bodies.get((message, reply_to))
        if mail is None:
            if len(self._bodies) >= 16:
                self._bodies.clear()
            mail = self._bodies[message, reply_to] = build_body(
                message, self.sender, reply_to, eightbit=True
            )
        return mail

    def _own_body(self, message: Rendered, reply_to: str | None) -> MailBody:
        # Only the parts are the recipient's own: the headers and framing are built once.
        text, html = encode_part(message.text, True), encode_part(message.html, True)
        ctes = (text.cte, html.cte)
        picture = message.image.cid if message.image else None
        key = (message.subject, message.language, reply_to, ctes, picture)
        frame = self._frames.get(key)
        if frame is None:
            if len(self._frames) >= 16:
                self._frames.clear()
            frame = self._frames[key] = BodyFrame.build(message, self.sender, reply_to, ctes)
        return frame.fill_parts(text, html) or build_body(
            message, self.sender, reply_to, eightbit=True
        )

    def preference_link(
        self, to: str, found: Sequence[tuple[Organisation, Contact]], language: Language
    ) -> bytes:
        """The mail that sends an address, asked for on the preference page, the link to the
        page of each contact it is (one address may be several organisations' contact)."""
        if self.links is None:
            raise DeliveryError("no preference links configured", permanent=True)
        words = LINK_MAIL_WORDS[language]
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = words["subject"]
        message["Date"] = format_datetime(utcnow())
        message["Auto-Submitted"] = "auto-replied"
        lines = [words["body"], ""]
        for org, contact in found:
            org_name = org.name_ja if language is Language.JA else org.name_en
            page = self.links.page_url(org.id, contact.id, contact.email)
            lines += [f"{contact.name} ({org_name}):", page, ""]
        lines.append(words["ignore"])
        message.set_content("\n".join(lines), charset="utf-8")
        return message.as_bytes(policy=policy.SMTP)

    def _unsubscribe(self, kind: DeliveryKind, target: Target) -> str | None:
        # Members manage their mail; an officer's page is not theirs to unsubscribe from.
        if self.links is None or kind is DeliveryKind.PAGE or target.organisation_id is None:
            return None
        return self.links.unsubscribe_url(target.organisation_id, target.contact_id, target.email)

    def _own_bodies(
        self, batch: Batch, message: Rendered, target: Target, reply_to: str | None
    ) -> tuple[str, tuple[str, bytes]]:
        """Build the bodies the recipient's own jobs use (and no other) into the batch."""
        # The recipient's own links and matches make the body theirs alone; it is used once,
        # so it is not cached (that would only evict the shared ones).
        own = _personalised(message, target.personal)
        mail_id, chat = "", ("", b"")
        if target.email and Channel.EMAIL in target.channels:
            mail = self._own_body(own, reply_to)
            mail_id = mail.digest
            batch.bodies[mail_id] = (mail.subject, mail.content)
        if target.apprise_urls and Channel.CHAT in target.channels:
            content = chat_body(own.subject, own.chat)
            chat = (_digest(content), content)
            batch.bodies[chat[0]] = (own.subject, content)
        return mail_id, chat

    def _add_bodies(
        self, batch: Batch, message: Rendered, reply_to: str | None
    ) -> tuple[str, tuple[str, bytes]]:
        """Build a shared message's mail and chat bodies and keep them in the batch."""
        mail = self._body(message, reply_to)
        batch.bodies[mail.digest] = (mail.subject, mail.content)
        chat = chat_body(message.subject, message.chat)
        chat_id = _digest(chat)
        batch.bodies[chat_id] = (message.subject, chat)
        return mail.digest, (chat_id, chat)


def _personalised(message: Rendered, personal: Personal | None) -> Rendered:
    """Put a recipient's block where the shared render left the marker (or drop the marker)."""
    if MARKER not in message.text and MARKER not in message.chat:
        return message
    return replace(
        message,
        text=message.text.replace(MARKER, personal.text if personal else ""),
        html=message.html.replace(MARKER, personal.html if personal else ""),
        chat=message.chat.replace(MARKER, personal.chat if personal else "").strip(),
    )


def _to(target: Target) -> str:
    assert target.email is not None
    try:
        return address(target.name, target.email)
    except DeliveryError:
        # Keep the job: the dispatcher checks the address again and fails it for good,
        # which records it and dead-letters it like any other permanent failure.
        return target.email


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
