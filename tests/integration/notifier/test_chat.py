"""Chat through Apprise against a real local webhook: one notification per URL, retried once."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from schemas.deliveries import DeliveryStatus
from schemas.topics import DELIVERIES, dlq
from services.common.db import Database
from tests.conftest import free_port
from tests.http_servers import served
from tests.integration.notifier.harness import (
    activation,
    all_settled,
    mailing_notifier,
    published,
    rows,
    until,
)

SERVICE = "notifier"


class Webhook:
    """What the local endpoint received, per path; `/flaky` answers 500 once, then 200."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.accepted: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()


@contextlib.contextmanager
def webhook(port: int) -> Iterator[Webhook]:
    state = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.hits[self.path] += 1
                fail = self.path == "/flaky" and state.hits[self.path] == 1
                if not fail:
                    state.accepted.setdefault(self.path, []).append(json.loads(body))
            self.send_response(500 if fail else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with served(Handler, port):
        yield state


def _directory(hook: int) -> str:
    return f"""
organisations:
  - id: chatty
    name_ja: チャット団体
    name_en: Chatty NGO
    kind: ngo
    contacts:
      - id: yamada
        name: 山田 花子
        language: ja
        apprise_urls:
          - json://127.0.0.1:{hook}/ok
          - json://127.0.0.1:{hook}/flaky
      - id: broken
        name: Broken URL
        language: en
        apprise_urls: ["notaservice://secret-token-123"]
"""


async def test_each_apprise_url_gets_one_notification_even_after_a_failed_try(
    tmp_path: Path, database: Database
) -> None:
    hook_port = free_port()
    with webhook(hook_port) as hook:
        async with mailing_notifier(tmp_path, database, _directory(hook_port)) as (notifier, _):
            await notifier.handlers.on_activation(activation())
            await until(lambda: all_settled(database, 3), what="chat deliveries settled")

    assert hook.hits == {"/ok": 1, "/flaky": 2}
    assert [len(hook.accepted[p]) for p in ("/ok", "/flaky")] == [1, 1]
    message = hook.accepted["/ok"][0]
    assert "発動" in message["title"] and "PHL" in message["title"]
    assert "初動対応を開始してください" in message["message"]

    by_contact = {(r.contact_id, r.key[-1]): r for r in (await rows(database)).values()}
    assert by_contact[("yamada", "0")].status == DeliveryStatus.SENT.value
    assert by_contact[("yamada", "1")].attempts == 2
    broken = by_contact[("broken", "0")]
    assert broken.status == DeliveryStatus.FAILED.value and broken.attempts == 1

    # The URL is a secret: neither the Delivery messages nor the dead letter carry it.
    everything = json.dumps(await published(database, DELIVERIES)) + json.dumps(
        await published(database, dlq(DELIVERIES))
    )
    assert "secret-token-123" not in everything
    assert f"127.0.0.1:{hook_port}" not in everything
    assert len(await published(database, dlq(DELIVERIES))) == 1
