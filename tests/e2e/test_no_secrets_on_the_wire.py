"""The demo scenario with chat channels configured: no secret crosses the broker or lands in a message.

Officers' and members' Apprise URLs (which embed chat tokens), the console password and its
hash, the signing key and the SMTP password are known to the test; every message of every
topic, every mail and every chat post is searched for them.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.duty.console.auth import hash_password
from tests.conftest import free_port
from tests.e2e.system import running_demo
from tests.http_servers import served
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(300), pytest.mark.broker]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


class ChatSink:
    """A local webhook (what Apprise's `json://` posts to): keeps every body it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bodies: dict[str, list[bytes]] = {}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                sink.bodies.setdefault(self.path, []).append(self.rfile.read(length))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        return Handler


def _config(tmp: Path, chat: ChatSink, secret: dict[str, str]) -> dict[str, str]:
    rota = yaml.safe_load((DEPLOY / "rota.example.yaml").read_text(encoding="utf-8"))
    for officer in rota["officers"]:
        officer["password_hash"] = secret["password_hash"]
        officer["apprise_urls"] = [secret["officer_url"]]
    (tmp / "rota.yaml").write_text(yaml.safe_dump(rota, allow_unicode=True), encoding="utf-8")
    members = yaml.safe_load((DEPLOY / "members.example.yaml").read_text(encoding="utf-8"))
    for organisation in members["organisations"]:
        for contact in organisation["contacts"]:
            contact["apprise_urls"] = [secret["member_url"]]
    (tmp / "members.yaml").write_text(yaml.safe_dump(members, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDBY_")}
    env.update(
        {
            "STANDBY_VAR_DIR": str(tmp / "var"),
            "STANDBY_LOG_FORMAT": "json",
            "STANDBY_MEMBERS_FILE": str(tmp / "members.yaml"),
            "STANDBY_DUTY__ROTA_FILE": str(tmp / "rota.yaml"),
            "STANDBY_DUTY__SIGNING_KEY": secret["signing_key"],
            "STANDBY_NOTIFIER__SMTP__PASSWORD": secret["smtp_password"],
            "STANDBY_DUTY__CONSOLE_PORT": str(console := free_port()),
            "STANDBY_DUTY__PUBLIC_URL": f"http://127.0.0.1:{console}",
            "STANDBY_NOTIFIER__SMTP__PORT": str(free_port()),
            "STANDBY_NOTIFIER__PREFERENCES_PORT": str(free_port()),
            "STANDBY_RUNTIME__HEALTH_PORT": str(free_port()),
            **{f"STANDBY_{n}__METRICS_PORT": str(free_port()) for n in ("INGESTER", "TRIAGE")},
            **{f"STANDBY_{n}__METRICS_PORT": str(free_port()) for n in ("NOTIFIER", "DUTY")},
            # Every port its own, the response service's too: another system may run beside.
            "STANDBY_RESPONSE__METRICS_PORT": str(free_port()),
            "STANDBY_RESPONSE__WEB_PORT": str(free_port()),
        }
    )
    return env


@pytest.fixture
def secret() -> dict[str, str]:
    password = "pw-" + secrets.token_urlsafe(16)
    officer_token, member_token = secrets.token_hex(16), secrets.token_hex(16)
    return {
        "password": password,
        "password_hash": hash_password(password),
        "officer_token": officer_token,
        "member_token": member_token,
        "signing_key": "sk-" + secrets.token_hex(24),
        "smtp_password": "smtp-" + secrets.token_hex(12),
    }


@pytest.fixture
def chat() -> Iterator[ChatSink]:
    sink = ChatSink()
    with served(sink.handler(), sink.port):
        yield sink


def read_every_topic(bootstrap: str) -> dict[str, list[bytes]]:
    """Every message of every topic on the broker, from the first offset to the end."""

    async def read() -> dict[str, list[bytes]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            topics = sorted(await consumer.topics())
            partitions = [
                TopicPartition(t, p)
                for t in topics
                for p in sorted(consumer.partitions_for_topic(t) or {0})
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found: dict[str, list[bytes]] = {t: [] for t in topics}

            async def behind() -> bool:
                return any([await consumer.position(tp) < ends[tp] for tp in partitions])

            while await behind():
                batch = await consumer.getmany(timeout_ms=500)
                for tp, records in batch.items():
                    found[tp.topic] += [r.value or b"" for r in records]
            return found
        finally:
            await consumer.stop()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, read()).result(timeout=60)


def test_the_demo_puts_no_secret_on_any_topic_or_in_any_message(
    tmp_path: Path, chat: ChatSink, secret: dict[str, str]
) -> None:
    secret["officer_url"] = f"json://127.0.0.1:{chat.port}/officer/{secret['officer_token']}"
    secret["member_url"] = f"json://127.0.0.1:{chat.port}/member/{secret['member_token']}"
    env = _config(tmp_path, chat, secret)
    with running_demo(env, tmp_path / "demo.out") as bootstrap:
        console = env["STANDBY_DUTY__PUBLIC_URL"]
        # The console password travels to the console, never further.
        with httpx.Client(base_url=console, timeout=10) as client:
            form = client.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf
            login = client.post(
                "/login",
                data={"officer_id": "aoki", "password": secret["password"], "csrf": csrf[1]},
            )
            assert login.status_code == 303, login.text[:500]
        wait_for(
            lambda: (
                "/officer/" + secret["officer_token"] in chat.bodies
                and "/member/" + secret["member_token"] in chat.bodies
            ),
            timeout=60,
            what="chat posts to an officer and a member through their Apprise URLs",
        )
        topics = read_every_topic(bootstrap)

    assert {"pages.v1", "activations.v1", "deliveries.v1", "acks.v1"} <= set(topics)
    assert topics["pages.v1"], "the demo paged nobody"
    needles = {
        name: secret[name]
        for name in (
            "officer_token",
            "member_token",
            "password",
            "password_hash",
            "signing_key",
            "smtp_password",
        )
    }
    leaks = [
        f"{topic}: {name}"
        for topic, messages in topics.items()
        for message in messages
        for name, value in needles.items()
        if value.encode() in message
    ]
    assert leaks == []
    mails = list((tmp_path / "var" / "demo" / "mail").glob("*.eml"))
    assert mails
    posts = [body for bodies in chat.bodies.values() for body in bodies]
    in_messages = [
        f"{where}: {name}"
        for where, body in [
            *((m.name, m.read_bytes()) for m in mails),
            *(("chat", p) for p in posts),
        ]
        for name, value in needles.items()
        if value.encode() in body
    ]
    assert in_messages == []
