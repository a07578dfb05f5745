"""The unit of work a write path uses: one transaction, its messages, its after-commit hooks.

A handler, a timer or a web route opens a unit of work, changes state through its `session`,
and hands over what the change produced: messages go to the outbox inside the same
transaction, hooks (metrics, waking a loop) run only once it has committed, so no caller can
publish a change that then rolls back, nor forget to. Messages enter the outbox here and in
one other place only, the notifier's delivery log, whose send marks and the messages they
publish commit together on the direct connection (decision 0400); the relay only marks rows
published. `tests/unit/test_architecture.py` holds both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import Message
from services.common.db import Database
from services.common.logs import get_logger
from services.common.outbox import claim, enqueue

log = get_logger(__name__)

Hook = Callable[[], None]


class Produced(Protocol):
    """What a domain change returns: messages to publish (in order, under one key) and hooks."""

    @property
    def messages(self) -> Sequence[Message]: ...
    @property
    def key(self) -> str | None: ...
    @property
    def after_commit(self) -> Sequence[Hook]: ...


class UnitOfWork:
    """One open transaction and what it will publish and run once committed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._messages: list[tuple[str | None, list[Message]]] = []
        self._hooks: list[Hook] = []

    def publish(self, *messages: Message, key: str | None = None) -> None:
        """Publish messages if, and only if, this unit of work commits."""
        if messages:
            self._messages.append((key, list(messages)))

    def after_commit(self, *hooks: Hook) -> None:
        """Run hooks (metrics, wake-ups) once this unit of work has committed."""
        self._hooks.extend(hooks)

    def add(self, produced: Produced) -> None:
        """Take over what a domain change produced: its messages and its hooks."""
        self.publish(*produced.messages, key=produced.key)
        self.after_commit(*produced.after_commit)

    async def claim(self, message: Message) -> bool:
        """Record a consumed message in the inbox; False (and logged) when seen before."""
        if await claim(self.session, message.id, message.topic):
            return True
        log.info("duplicate_message_skipped", topic=message.topic, message_id=str(message.id))
        return False

    async def _flush(self) -> None:
        for key, messages in self._messages:
            await enqueue(self.session, *messages, key=key)
        self._messages.clear()

    def _committed(self) -> None:
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()


Work = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


def units_of_work(db: Database, *, on_commit: Hook | None = None) -> Work:
    """Build the unit-of-work factory of a service; `on_commit` wakes its outbox relay."""

    @asynccontextmanager
    async def work() -> AsyncIterator[UnitOfWork]:
        async with db.transaction() as session:
            unit = UnitOfWork(session)
            yield unit
            await unit._flush()
        unit._committed()
        if on_commit is not None:
            on_commit()

    return work
