"""The port through which the preference page has a member's own link mailed to them.

The page only finds who asked (and holds back a repeat); the mail is composed like every
member mail, by the composer, and sent through the notifier's SMTP pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from schemas.members import Contact, Language, Organisation
from services.notifier.compose import Composer

# What sends one message: envelope sender, recipient, the message's bytes (SmtpPool.send).
Send = Callable[[str, str, bytes], Awaitable[None]]


@dataclass(frozen=True)
class LinkMail:
    """Mail an address the links to its contacts' preference pages."""

    composer: Composer
    send: Send

    async def __call__(
        self, to: str, found: Sequence[tuple[Organisation, Contact]], language: Language
    ) -> None:
        message = self.composer.preference_link(to, found, language)
        await self.send(self.composer.sender.addr_spec, to, message)
