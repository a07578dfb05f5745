"""Console security: throttling that cannot lock an officer out, server-side sessions, links bound
to the rota, cross-site POSTs, no text from the URL, and the audit trail a director reads."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from schemas.activations import Activation
from services.common.db import Database
from services.common.outbox import enqueue
from services.common.settings import DutySettings
from services.common.unit_of_work import units_of_work
from services.duty import metrics
from services.duty.console.app import ConsoleDeps, create_app
from services.duty.console.audit import sync_rota
from services.duty.console.verify_gate import VerifyGate
from services.duty.models import ConsoleSession, LoginThrottle, SecurityEvent
from services.duty.repository import EscalationRepository, Links, StateChange
from services.duty.rota import Rota
from services.duty.tokens import LinkSigner
from tests.integration.duty.console_app import BASE, csrf_of
from tests.integration.duty.factories import NOW, PASSWORD, activation, rota_dict

SERVICE = "duty"
PHISHING = "URGENT: the console is down, acknowledge by phone at +81 3 0000 0000"


@dataclass
class World:
    """One duty database, a clock and a rota the test can move; consoles (replicas) over them."""

    db: Database
    now: datetime = NOW
    rota: Rota = field(default_factory=lambda: Rota.model_validate(_rota()))
    settings: dict[str, Any] = field(default_factory=dict)
    production: bool = False

    def deps(self) -> ConsoleDeps:
        settings = DutySettings(public_url=BASE, signing_key=SecretStr("s" * 40), **self.settings)
        signer = LinkSigner(settings.signing_key.get_secret_value(), timedelta(hours=24))
        return ConsoleDeps(
            db=self.db,
            duty=EscalationRepository(lambda: self.rota, Links(BASE, signer)),
            signer=signer,
            rota=lambda: self.rota,
            settings=settings,
            work=units_of_work(self.db),
            clock=lambda: self.now,
            production=self.production,
        )

    def browser(
        self, source: str = "127.0.0.1", deps: ConsoleDeps | None = None, base: str = BASE
    ) -> httpx.AsyncClient:
        """A browser (its own cookie jar) at a client address."""
        transport = httpx.ASGITransport(app=create_app(deps or self.deps()), client=(source, 40000))
        return httpx.AsyncClient(transport=transport, base_url=base, follow_redirects=False)


def _rota() -> dict[str, Any]:
    rota = rota_dict()
    rota["officers"][2]["roles"] = ["director"]  # ito
    return rota


async def recorded(deps: ConsoleDeps, incoming: Activation) -> StateChange:
    """Duty records the activation, as its consumer would."""
    async with deps.db.transaction() as session:
        return await deps.duty.record_activation(session, incoming, NOW)


async def login(
    browser: httpx.AsyncClient, officer: str = "aoki", password: str = PASSWORD, **headers: str
) -> httpx.Response:
    form = await browser.get("/login")
    return await browser.post(
        "/login",
        data={"officer_id": officer, "password": password, "csrf": csrf_of(form.text)},
        headers=headers,
    )


async def events(db: Database, kind: str | None = None) -> list[SecurityEvent]:
    async with db.sessions() as session:
        query = select(SecurityEvent).order_by(SecurityEvent.id)
        if kind:
            query = query.where(SecurityEvent.kind == kind)
        return list((await session.execute(query)).scalars())


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    yield World(database)


async def test_ten_wrong_passwords_from_elsewhere_do_not_keep_the_officer_out_of_a_known_browser(
    world: World,
) -> None:
    async with world.browser("192.0.2.10") as mine:
        assert (await login(mine)).status_code == 303  # this browser now knows aoki
        world.now += timedelta(minutes=30)
        statuses = []
        for attacker in range(10):
            async with world.browser(f"198.51.100.{attacker}") as other:
                statuses.append((await login(other, password="guess")).status_code)
        assert statuses == [401] * 10
        # An eleventh try from yet another address is slowed, not let through at once...
        async with world.browser("198.51.100.99") as other:
            slowed = await login(other, password="guess")
        assert slowed.status_code == 429 and 0 < int(slowed.headers["retry-after"]) <= 30
        # ...while the officer's own browser logs in at once, even after failing itself.
        await mine.post("/logout", data={"csrf": csrf_of((await mine.get("/login")).text)})
        assert (await login(mine, password="typo")).status_code == 401
        assert (await login(mine)).status_code == 303
        assert (await mine.get("/api/v1/me")).json()["officer_id"] == "aoki"
    kinds = [e.kind for e in await events(world.db)]
    assert kinds.count("login_failed") == 11 and kinds.count("login_throttled") == 1


async def test_a_parallel_burst_reaches_the_password_check_only_a_few_times(
    world: World,
) -> None:
    async with world.browser("192.0.2.40") as mine:
        assert (await login(mine)).status_code == 303  # aoki's own browser, known from now on
        await mine.post("/logout", data={"csrf": csrf_of((await mine.get("/login")).text)})
        deps_one, deps_two = world.deps(), world.deps()  # two replicas, one database
        checks_before = metrics.PASSWORD_CHECKS._value.get()
        burst = []
        for n, deps in enumerate([deps_one, deps_two] * 15):
            attacker = world.browser(f"198.51.100.{n}", deps)
            await attacker.get("/login")  # a session and its CSRF token, as a browser has
            burst.append(attacker)
        form = [await b.get("/login") for b in burst]

        async def guess(browser: httpx.AsyncClient, page: httpx.Response) -> int:
            answer = await browser.post(
                "/login",
                data={"officer_id": "aoki", "password": "guess", "csrf": csrf_of(page.text)},
            )
            return answer.status_code

        statuses = await asyncio.gather(*(guess(b, f) for b, f in zip(burst, form, strict=True)))
        during = await login(mine)
        for browser in burst:
            await browser.aclose()
    checked = metrics.PASSWORD_CHECKS._value.get() - checks_before
    # At most the officer's free tries (10) reach argon2, across both replicas; the rest 429.
    assert statuses.count(401) <= 10 and statuses.count(401) + statuses.count(429) == 30
    assert checked == statuses.count(401) + 1  # and the officer's own login
    assert during.status_code == 303


async def test_the_password_check_gate_refuses_unknown_browsers_at_once_and_keeps_a_slot() -> None:
    gate = VerifyGate(total=2, per_officer=1, reserved=1)
    async with gate.slot("aoki", known_device=False) as first:
        async with gate.slot("aoki", known_device=False) as second:
            assert first and not second  # one per officer from unknown browsers
        async with gate.slot("sato", known_device=False) as other:
            assert not other  # the last slot is kept for known browsers
        async with gate.slot("aoki", known_device=True) as known:
            assert known


async def test_the_signed_link_still_acknowledges_while_password_login_is_throttled(
    world: World,
) -> None:
    deps = world.deps()
    incoming = activation()
    async with deps.db.transaction() as session:
        outcome = await deps.duty.record_activation(session, incoming, NOW)
        await enqueue(session, *outcome.messages, key=outcome.key)
    async with world.browser("198.51.100.7") as guesser:
        for _ in range(12):
            await login(guesser, password="guess")
        assert (await login(guesser)).status_code == 429
    link = deps.duty.links.ack_url(incoming.activation_id, "aoki", NOW).removeprefix(BASE)
    async with world.browser("203.0.113.5") as phone:
        confirm = await phone.get(link)
        done = await phone.post(link, data={"csrf": csrf_of(confirm.text)})
    assert done.status_code == 200 and 'data-key="acknowledged_by_you"' in done.text


async def test_a_source_throttled_for_one_officer_still_lets_another_officer_in(
    world: World,
) -> None:
    async with world.browser("192.0.2.20") as shared:
        for _ in range(6):
            await login(shared, "aoki", "guess")
        assert (await login(shared, "aoki")).status_code == 429
        assert (await login(shared, "sato")).status_code == 303


async def test_the_throttle_is_shared_by_every_replica_and_slows_rather_than_blocks(
    world: World,
) -> None:
    one, two = world.deps(), world.deps()
    async with world.browser("192.0.2.30", one) as first:
        for _ in range(5):
            assert (await login(first, password="guess")).status_code == 401
    async with world.browser("192.0.2.30", two) as second:
        waited = await login(second, password="guess")
        assert waited.status_code == 429
        world.now += timedelta(seconds=int(waited.headers["retry-after"]))
        # After the wait one more try is heard; the wait doubles but stays capped at a minute.
        assert (await login(second, password="guess")).status_code == 401
        assert int((await login(second)).headers["retry-after"]) == 2
        world.now += timedelta(minutes=10)
        assert (await login(second)).status_code == 303
    # Counters nobody failed under for the forget window are dropped at the next failure.
    world.now += timedelta(minutes=20)
    async with world.browser("192.0.2.31") as other:
        await login(other, "sato", "guess")
    async with world.db.sessions() as session:
        keys = set((await session.execute(select(LoginThrottle.key))).scalars())
    assert keys == {"pair:sato@192.0.2.31", "source:192.0.2.31", "officer:sato"}


async def test_forwarded_for_is_believed_only_from_a_named_proxy(world: World) -> None:
    async with world.browser("192.0.2.40") as direct:
        for n in range(6):
            await login(direct, password="guess", **{"x-forwarded-for": f"203.0.113.{n}"})
    assert {e.source for e in await events(world.db, "login_failed")} == {"192.0.2.40"}
    world.settings = {"trusted_proxies": "192.0.2.40"}
    async with world.browser("192.0.2.40") as proxied:
        response = await login(proxied, "sato", "guess", **{"x-forwarded-for": "203.0.113.77"})
    assert response.status_code == 401
    assert (await events(world.db, "login_failed"))[-1].source == "203.0.113.77"


async def test_a_logged_out_cookie_is_refused_when_replayed(world: World) -> None:
    async with world.browser() as officer:
        await login(officer)
        stolen = dict(officer.cookies)
        assert (await officer.get("/api/v1/me")).status_code == 200
        await officer.post("/logout", data={"csrf": csrf_of((await officer.get("/")).text)})
    async with world.browser() as replay:
        replay.cookies.update(stolen)
        assert (await replay.get("/api/v1/me")).status_code == 401
        assert (await replay.get("/")).status_code == 303
    assert [e.kind for e in await events(world.db)][-1] == "logout"


async def test_leaving_the_rota_ends_sessions_and_refuses_the_officers_links(world: World) -> None:
    deps = world.deps()
    incoming = activation()
    outcome = await recorded(deps, incoming)
    await sync_rota(world.db.transaction, world.rota, world.now)
    link = deps.duty.links.ack_url(incoming.activation_id, "aoki", NOW).removeprefix(BASE)
    async with (
        world.browser() as officer,
        world.browser() as laptop,
        world.browser("203.0.113.9") as phone,
    ):
        await login(officer)
        await login(laptop)
        confirm = await phone.get(link)
        assert confirm.status_code == 200
        removed = _rota()
        removed["officers"] = [o for o in removed["officers"] if o["id"] != "aoki"]
        removed["shifts"][0]["primary"] = "sato"
        removed["team"] = ["sato"]
        world.rota = Rota.model_validate(removed)
        # The next request of one session ends it at once...
        assert (await officer.get("/api/v1/me")).status_code == 401
        # ...and the look at the rota ends the rest; two replicas look, one records it.
        assert await sync_rota(world.db.transaction, world.rota, world.now) == ["aoki"]
        assert await sync_rota(world.db.transaction, world.rota, world.now) == []
        async with world.db.sessions() as session:
            assert (await session.execute(select(ConsoleSession))).scalars().all() == []
        assert (await laptop.get("/api/v1/me")).status_code == 401
        refused = await phone.post(link, data={"csrf": csrf_of(confirm.text)})
        assert refused.status_code == 403 and 'data-reason="off_rota"' in refused.text
        assert 'data-reason="off_rota"' in (await phone.get(link)).text
    kinds = [e.kind for e in await events(world.db)]
    assert kinds.count("rota_removed") == 1 and "link_refused" in kinds
    assert kinds.count("session_ended") == 1
    assert outcome.messages  # the page went out before the removal


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "https://evil.example", "sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
async def test_a_post_from_another_site_is_refused_even_with_the_right_token(
    world: World, headers: dict[str, str]
) -> None:
    incoming = activation()
    deps = world.deps()
    await recorded(deps, incoming)
    async with world.browser(deps=deps) as officer:
        await login(officer)
        token = (await officer.get("/api/v1/me")).json()["csrf_token"]
        url = f"/api/v1/activations/{incoming.activation_id}/actions/acknowledge"
        refused = await officer.post(url, headers={"x-csrf-token": token, **headers})
        assert refused.status_code == 403
        allowed = await officer.post(
            url, headers={"x-csrf-token": token, "origin": BASE, "sec-fetch-site": "same-origin"}
        )
        assert allowed.status_code == 200
    assert (await events(world.db, "origin_refused"))[0].detail in {"origin", "sec_fetch_site"}


async def test_pages_are_not_cached_and_production_adds_hsts_and_secure_cookies(
    world: World,
) -> None:
    async with world.browser() as plain:
        response = await login(plain)
        assert "secure" not in response.headers["set-cookie"].lower()
        page = await plain.get("/")
        assert page.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in page.headers
    world.production = True
    # Production cookies are Secure: a browser sends them back over TLS only.
    async with world.browser(base=BASE.replace("http:", "https:")) as production:
        response = await login(production)
        cookies = response.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("; secure" in c.lower() for c in cookies)
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_the_error_parameter_never_puts_its_text_on_the_page(world: World) -> None:
    incoming = activation()
    deps = world.deps()
    await recorded(deps, incoming)
    async with world.browser(deps=deps) as officer:
        await login(officer)
        url = f"/activations/{incoming.activation_id}"
        forged = await officer.get(url, params={"error": PHISHING})
        assert forged.status_code == 200 and "+81 3 0000" not in forged.text
        assert 'role="alert"' not in forged.text
        known = await officer.get(url, params={"error": "not_allowed"})
        assert "That action is not possible in the current state." in known.text
        listed = await officer.get("/", params={"country": PHISHING[:40]})
        assert (
            listed.status_code == 400 and "+81 3" not in listed.text and "URGENT" not in listed.text
        )


async def test_directors_read_the_security_log_and_officers_cannot(world: World) -> None:
    before = metrics.SECURITY_EVENTS.labels("login_failed")._value.get()
    async with world.browser("198.51.100.50") as guesser:
        await login(guesser, "aoki", "guess")
        await login(guesser, PHISHING[:60], "guess")
    assert metrics.SECURITY_EVENTS.labels("login_failed")._value.get() == before + 2
    async with world.browser() as officer:
        await login(officer, "sato")
        assert (await officer.get("/security")).status_code == 403
    async with world.browser() as director:
        await login(director, "ito")
        log = await director.get("/security")
    assert log.status_code == 200
    rows = re.findall(r'<tr data-kind="([a-z_]+)"', log.text)
    assert rows[:3] == ["login_succeeded", "login_succeeded", "login_failed"]
    assert "198.51.100.50" in log.text and "URGENT" not in log.text


async def test_anonymous_noise_writes_at_most_ten_rows_a_minute_per_source(world: World) -> None:
    counted = metrics.SECURITY_EVENTS.labels("link_refused")._value.get()
    async with world.browser("198.51.100.77") as scanner:
        for n in range(30):
            assert (await scanner.get(f"/a/not-a-token-{n}")).status_code == 403
        world.now += timedelta(minutes=1)
        await scanner.get("/a/one-more-a-minute-later")
    async with world.browser("198.51.100.78") as other:
        await other.get("/a/another-source")
    rows = await events(world.db, "link_refused")
    assert [r.source for r in rows].count("198.51.100.77") == 11  # 10, then 1 the next minute
    assert [r.source for r in rows].count("198.51.100.78") == 1
    assert metrics.SECURITY_EVENTS.labels("link_refused")._value.get() - counted == 32
