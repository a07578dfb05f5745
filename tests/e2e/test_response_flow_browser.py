"""One response from alert to programme in headless Chromium, in Japanese and English, at 390 px
and on the desktop: a red quake reaches an NGO that can deploy, an NGO that answers *not this
time*, a company offering airlift and the government observer; the officer acknowledges on the
console, decides the initial survey and launches the programme from the console's Launch.

Then the board shows the programme, the console offers neither Launch nor Stand down, the CAP
feed holds an Update naming the programme, the participant is told to deploy, and neither the
declining NGO nor the observer ever is. Every response page on the way (answer forms, thanks,
a refused link, the board, the survey and launch forms with what they miss, the confirm pages)
is read at both sizes in both languages: no sideways scroll, no raw key, axe-core clean.

One system for the whole test keeps its cost to one start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from services.response.words import words
from services.runtime.scenario import red_earthquake
from tests.e2e.browser import chromium, readable
from tests.e2e.system import System, fed_system, gdacs_feed, recipient, watched
from tests.e2e.test_duty_page_to_launch import (
    COMPANY,
    DECLINING,
    MEMBERS,
    OBSERVER,
    PROGRAMME_EN,
    PROGRAMME_JA,
    READY,
    answer_link,
    duty_page_mail,
    mails_to,
    told_of_the_launch,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.browser]

PASSWORD = "standby-demo"  # the example rota's console password


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def alerts_of(system: System) -> dict[str, EmailMessage] | None:
    """Each member's first mail (its alert), once all four have one."""
    found = {a: mails_to(system, a) for a in (READY, DECLINING, COMPANY, OBSERVER)}
    return {a: mails[0] for a, mails in found.items()} if all(found.values()) else None


def answer_as_member(member: Any, url: str, answer: str, *, both_languages: bool) -> None:
    """Open the mail's answer link, choose `answer` and send it; read the form (in both
    languages if asked) and the thanks page."""
    member.goto(f"{url}?answer={answer}")
    language = member.get_attribute("html", "lang")
    where = f"answer form ({language})"
    readable(member, where)
    if both_languages:
        other = "en" if language == "ja" else "ja"
        # Read once the other language's page has loaded, not the one being left.
        member.click(f"nav a[href*='lang={other}']")
        member.wait_for_url(re.compile(f"lang={other}"))
        readable(member, f"answer form ({other})")
        member.click(f"nav a[href*='lang={language}']")
        member.wait_for_url(re.compile(f"lang={language}"))
    assert member.is_checked(f"[data-testid=answer-{answer}]"), where
    member.fill("[data-testid=staff]", "7")
    member.click("[data-testid=send-answer]")
    assert member.inner_text("[data-testid=given-answer]") == words(language)[answer]
    readable(member, f"thanks ({language})")


def refused_link(member: Any, url: str) -> None:
    """An altered link is refused, in the language the link asks for."""
    forged = url[:-1] + ("A" if url[-1] != "A" else "B")
    for language in ("ja", "en"):
        member.goto(f"{forged}?answer=can_deploy&lang={language}")
        assert member.inner_text("[data-testid=refusal]") == words(language)["refused_forged"]
        readable(member, f"refused link ({language})")


def log_in(officer: Any, console: str, officer_id: str, after: str) -> None:
    officer.goto(f"{console}/login?next={after}")
    officer.fill("input[name=officer_id]", officer_id)
    officer.fill("input[name=password]", PASSWORD)
    officer.click("main button[type=submit]")
    officer.wait_for_load_state()


def in_language(officer: Any, console: str, language: str, path: str) -> None:
    officer.goto(f"{console}/lang/{language}?next={path}")
    assert officer.get_attribute("html", "lang") == language


def missing_before_confirm(officer: Any, console: str, board: str) -> None:
    """Reviewing a survey with nobody chosen, or a launch without participants, says what is
    missing, in the officer's language, before any confirm page."""
    for language in ("en", "ja"):
        in_language(officer, console, language, board)
        officer.click("[data-testid=review-survey]")
        assert (
            officer.inner_text("[data-testid=detail]") == words(language)["missing_organisations"]
        )
        assert officer.locator("[data-testid=confirm-survey]").count() == 0
        readable(officer, f"survey with nobody chosen ({language})")
        officer.goto(f"{console}{board}")
        for box in officer.locator("[data-testid=launch-form] input[name=participants]").all():
            box.uncheck()
        officer.click("[data-testid=review-launch]")
        assert officer.inner_text("[data-testid=detail]") == words(language)["missing_participants"]
        readable(officer, f"launch without participants ({language})")


def review(officer: Any, console: str, board: str, fill: Any, button: str, where: str) -> None:
    """Fill a form on the board and review it in both languages; stay on the confirm page."""
    for language in ("en", "ja"):
        in_language(officer, console, language, board)
        fill()
        officer.click(f"[data-testid={button}]")
        assert officer.inner_text("[data-testid=consequence]"), where
        readable(officer, f"{where} ({language})")


def decide_and_launch(officer: Any, console: str, board: str) -> None:
    def survey() -> None:
        officer.check("[data-testid=survey-ready-ngo]")

    review(officer, console, board, survey, "review-survey", "survey confirm page")
    officer.click("[data-testid=confirm-survey]")
    assert officer.locator("[data-testid=survey-decided]").count() == 1

    def launch() -> None:
        officer.fill("[data-testid=name-ja]", PROGRAMME_JA)
        officer.fill("[data-testid=name-en]", PROGRAMME_EN)
        assert officer.is_checked("[data-testid=participant-ready-ngo]")  # the survey's choice
        officer.check("[data-testid=participant-sky-cargo]")
        officer.fill("[data-testid=budget-participant-ready-ngo]", "120000000")
        officer.fill("[data-testid=government-budget]", "300000000")

    review(officer, console, board, launch, "review-launch", "launch confirm page")
    officer.click("[data-testid=confirm-launch]")
    assert officer.inner_text("[data-testid=programme-name]") == PROGRAMME_JA


def test_a_red_quake_to_one_launch_from_the_console_in_both_languages(
    tmp_path: Path, browser: Any
) -> None:
    quake = red_earthquake(9_800_001, datetime.now(UTC) - timedelta(minutes=10))
    with gdacs_feed([quake]) as gdacs, watched(fed_system(tmp_path, MEMBERS, gdacs.url)) as system:
        console = f"http://127.0.0.1:{system.console_port}"
        page_mail = duty_page_mail(system, timeout=120)
        officer_id = recipient(page_mail).split("@")[0]
        alerts = wait_for(lambda: alerts_of(system), timeout=60, what="the member alerts")
        assert answer_link(alerts[OBSERVER]) is None, "the observer is asked nothing"
        links = {a: answer_link(alerts[a]) for a in (READY, DECLINING, COMPANY)}
        assert all(links.values()), links

        member = browser.new_page()
        answer_as_member(member, str(links[READY]), "can_deploy", both_languages=True)
        answer_as_member(member, str(links[DECLINING]), "not_this_time", both_languages=False)
        member.goto(f"{links[COMPANY]}?answer=offer_support")
        # A company offers support or declines; it is not asked whether it can deploy.
        kinds = member.locator("input[name=answer]").evaluate_all("els => els.map(e => e.value)")
        assert kinds == ["offer_support", "not_this_time"]
        member.click("[data-testid=send-answer]")
        assert member.locator("[data-testid=given-answer]").count() == 1
        refused_link(member, str(links[READY]))
        member.close()

        officer = browser.new_page()
        log_in(officer, console, officer_id, "/")
        [found] = officer.request.get(f"{console}/api/v1/activations").json()
        activation = found["activation_id"]
        officer.goto(f"{console}/activations/{activation}")
        officer.click("[data-testid=action-acknowledge]")
        officer.wait_for_load_state()
        assert officer.get_attribute("[data-testid=owner]", "data-officer-id") == officer_id
        # The console's Launch leads to the board's one launch form.
        officer.click("[data-testid=action-launch]")
        officer.wait_for_load_state()
        board = officer.url.removeprefix(console).split("#")[0]
        assert board.startswith("/rollcall/") and officer.url.endswith("#launch")
        for language in ("ja", "en"):
            in_language(officer, console, language, board)
            readable(officer, f"board before the survey ({language})")
        # The observer was told, never asked: not silent, never a participant to choose.
        assert officer.inner_text("[data-testid=answer-mofa]") == words("en")["observer"]
        assert officer.locator("[data-testid=silent-mofa]").count() == 0
        assert officer.locator("[data-testid=participant-mofa]").count() == 0
        missing_before_confirm(officer, console, board)
        decide_and_launch(officer, console, board)
        for language in ("en", "ja"):
            in_language(officer, console, language, board)
            shown = officer.inner_text("[data-testid=programme-name]")
            assert shown == (PROGRAMME_JA if language == "ja" else PROGRAMME_EN)
            readable(officer, f"board of the launched programme ({language})")
            officer.click("[data-testid=review-close]")
            assert officer.locator("[data-testid=confirm-close]").count() == 1
            readable(officer, f"close confirm page ({language})")
            officer.goto(f"{console}/rollcall")
            assert officer.locator("[data-testid=rollcall-link]").count() == 1
            readable(officer, f"roll-calls ({language})")

        wait_for(
            lambda: (
                officer.request.get(f"{console}/api/v1/activations/{activation}").json()["state"]
                == "launched"
            ),
            timeout=30,
            what="duty to follow the launch",
        )
        officer.goto(f"{console}/activations/{activation}")
        assert officer.locator("[data-testid=action-launch]").count() == 0
        assert officer.locator("[data-testid=action-stand_down]").count() == 0
        officer.close()

        feed = feedparser.parse(httpx.get(f"{console}/cap/feed.atom", timeout=10).content)
        updates = [e.title for e in feed.entries if e.category == "Update"]
        assert any(PROGRAMME_EN in title for title in updates), updates

        told_of_the_launch(system, timeout=60)
