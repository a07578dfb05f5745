"""The roll-call in headless Chromium on the whole system: a red quake reaches three NGOs; one
answers "can deploy" through its mail link, one "not this time", one stays silent and gets
exactly one reminder, then answers by phone and the officer records it on the board; the officer
decides the initial survey for the first and launches the programme; the participant is told
to deploy and the two that declined are not; the export holds it all, and the duty console's timeline of the activation shows
every step of the roll-call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from services.runtime.scenario import red_earthquake
from tests.e2e.browser import audit, chromium, readable
from tests.e2e.maps import announced, epicentre_in, warehouses
from tests.e2e.system import System, fed_system, gdacs_feed, recipient, text_of
from tests.waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.browser]

PASSWORD = "standby-demo"


def _ngo(org: str, name: str, email: str, supplies: str = "") -> str:
    return f"""\
  - id: {org}
    name_ja: {name}（日本）
    name_en: {name}
    kind: ngo
    countries: [PHL]
    subscription: {{min_level: standby}}
    contacts:
      - {{id: desk, name: Desk, language: en, email: {email}}}
    plans:
      - id: shelter
        title_ja: 避難所支援
        title_en: {name} shelter plan
        hazard_types: [EQ]
        countries: [PHL]
        sectors: [shelter]
        staff_deployable: 5
        hours_to_deploy: 48
{supplies}"""


# Alpha Relief keeps tents in Davao, near the quake: the board's map marks them.
DAVAO = """\
    supplies:
      - {item: tents, quantity: 200, unit: tents, country: PHL, place: Davao depot, lat: 7.07, lon: 125.61}
"""
MEMBERS = "organisations:\n" + "".join(
    _ngo(org, name, f"desk@{org}.example.org", supplies)
    for org, name, supplies in (
        ("alpha-relief", "Alpha Relief", DAVAO),
        ("beta-aid", "Beta Aid", ""),
        ("gamma-care", "Gamma Care", ""),
    )
)


def map_shown(mail: EmailMessage) -> bool:
    """Whether the mail carries the incident map as a PNG its HTML shows, with words for it."""
    pictures = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    html = mail.get_body(("html",))
    if len(pictures) != 1 or html is None:
        return False
    cid = str(pictures[0]["Content-ID"]).strip("<>")
    content = html.get_content()
    return f'src="cid:{cid}"' in content and 'alt="Epicentre at' in content


def mails_to(system: System, org: str) -> list[EmailMessage]:
    return [m for m in system.mails() if recipient(m) == f"desk@{org}.example.org"]


def mails_about(system: System, org: str, subject: str) -> list[EmailMessage]:
    return [m for m in mails_to(system, org) if subject in str(m["Subject"])]


def reminders(system: System, org: str) -> list[EmailMessage]:
    return mails_about(system, org, "Reminder")


def answer_form(member: Any, url: str) -> None:
    """Open a mail's answer link as a member would, reloading while the roll-call is not open
    yet (the mail may arrive before the response service has read the activation)."""

    def shown() -> bool:
        member.goto(url)
        return bool(member.locator("[data-testid=send-answer]").count())

    wait_for(shown, timeout=60, what="the answer form", every=1)


def duty_timeline(officer: Any, console: str, incident: str) -> list[str]:
    """The roll-call steps on the duty console's page of the incident's activation, in order,
    once duty has consumed the last of them (the launch)."""
    [activation] = [
        a
        for a in officer.request.get(f"{console}/api/v1/activations").json()
        if a["incident_id"] == incident
    ]

    def launched_on_the_timeline() -> bool:
        detail = officer.request.get(f"{console}/api/v1/activations/{activation['activation_id']}")
        return any(e["state"] == "programme_launched" for e in detail.json()["timeline"])

    wait_for(launched_on_the_timeline, timeout=60, what="the launch on the duty timeline")
    officer.goto(f"{console}/activations/{activation['activation_id']}")
    assert epicentre_in(officer, "PHL") == {"inside": True, "affected": True}
    assert warehouses(officer) == {"Davao depot": True}
    assert officer.get_attribute("[data-testid=rollcall-board]", "href") == f"/rollcall/{incident}"
    steps = officer.locator("[data-testid=timeline] [data-testid=rollcall-step]")
    return [" ".join(text.split()) for text in steps.all_inner_texts()]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_roll_call_survey_and_launch_from_the_mail_links_to_the_export(
    tmp_path: Path, browser: Any
) -> None:
    # On land in Mindanao (the scenario's point lies just off the coast at 1:110m).
    quake = replace(
        red_earthquake(9_700_001, datetime.now(UTC) - timedelta(minutes=5)), lat=8.5, lon=125.9
    )
    with gdacs_feed([quake]) as feed:
        system = fed_system(tmp_path, MEMBERS, feed.url)
        system.env["STANDBY_RESPONSE__REMINDER_AFTER_MIN"] = "0.5"
        system.env["STANDBY_RESPONSE__TICK_S"] = "1"
        system.start()
        try:
            alerts = wait_for(
                lambda: (
                    all(mails_to(system, o) for o in ("alpha-relief", "beta-aid", "gamma-care"))
                    and {o: text_of(mails_to(system, o)[0]) for o in ("alpha-relief", "beta-aid")}
                ),
                timeout=120,
                what="the member alerts",
            )
            assert "Alpha Relief shelter plan" in alerts["alpha-relief"]
            for org in ("alpha-relief", "beta-aid", "gamma-care"):
                assert map_shown(mails_to(system, org)[0]), org
            link = {
                org: re.search(r"(http://\S+/respond/\S+)\?answer=", text).group(1)  # type: ignore[union-attr]
                for org, text in alerts.items()
            }
            incident = link["alpha-relief"].split("/respond/")[1].split("/")[0]

            member = browser.new_page()
            answer_form(member, link["alpha-relief"] + "?answer=can_deploy")
            readable(member, "answer form")
            member.fill("[data-testid=staff]", "7")
            member.fill("[data-testid=survey_budget_jpy]", "4000000")
            member.click("[data-testid=send-answer]")
            assert member.inner_text("[data-testid=given-answer]") == "Can deploy"
            readable(member, "thanks")
            answer_form(member, link["beta-aid"] + "?answer=not_this_time")
            member.click("[data-testid=send-answer]")
            assert member.inner_text("[data-testid=given-answer]") == "Not this time"
            member.close()

            wait_for(lambda: reminders(system, "gamma-care"), timeout=90, what="the reminder")

            officer = browser.new_page()
            console = f"http://127.0.0.1:{system.console_port}"
            officer.goto(f"{console}/login?next=/rollcall/{incident}")
            officer.fill("input[name=officer_id]", "aoki")
            officer.fill("input[name=password]", PASSWORD)
            officer.click("form[action='/login'] button[type=submit], main button[type=submit]")
            officer.wait_for_load_state()
            # The officer reads Japanese: the board's map speaks it.
            assert officer.inner_text("#map-heading") == "地図"
            assert announced(officer)["lang"] == "ja"
            assert "震源" in announced(officer)["label"][1]
            officer.goto(f"{console}/lang/en?next=/rollcall/{incident}")
            assert officer.locator("[data-testid=board]").count() == 1, (
                officer.url + "\n" + officer.content()[:3000]
            )
            assert epicentre_in(officer, "PHL") == {"inside": True, "affected": True}
            assert warehouses(officer) == {"Davao depot": True}
            drawn = officer.locator("[data-testid=incident-map] [data-testid=answer]")
            assert sorted(drawn.evaluate_all("(els) => els.map((e) => e.dataset.answer)")) == [
                "can_deploy",
                "not_this_time",
            ]
            said = officer.locator("[data-testid=incident-map] desc").text_content() or ""
            assert "Alpha Relief: can deploy." in said and "Beta Aid: not this time." in said
            audit(officer, "board with its map")
            assert "Can deploy" in officer.inner_text("[data-testid=answer-alpha-relief]")
            assert "Not this time" in officer.inner_text("[data-testid=answer-beta-aid]")
            assert officer.inner_text("[data-testid=silent-gamma-care]")
            assert "Gamma Care shelter plan" in officer.inner_text(
                "[data-testid=matches-gamma-care]"
            )
            assert officer.inner_text("[data-testid=total-staff]") == "7"
            officer.select_option("[data-testid=phone-organisation]", "gamma-care")
            officer.check("[data-testid=phone-form] [data-testid=answer-not_this_time]")
            officer.click("[data-testid=record-phone]")
            assert "Not this time ☎" in officer.inner_text("[data-testid=answer-gamma-care]")
            readable(officer, "board (en)")
            officer.goto(f"{console}/lang/ja?next=/rollcall/{incident}")
            readable(officer, "board (ja)")
            officer.goto(f"{console}/lang/en?next=/rollcall/{incident}")

            officer.check("[data-testid=survey-alpha-relief]")
            officer.click("[data-testid=review-survey]")
            assert "cannot be undone" in officer.inner_text("[data-testid=consequence]")
            readable(officer, "survey review")
            officer.click("[data-testid=confirm-survey]")
            assert officer.inner_text("[data-testid=survey-decided]")

            assert officer.input_value("[data-testid=name-en]").startswith(
                "Emergency Response to the"
            )
            assert officer.is_checked("[data-testid=participant-alpha-relief]")
            assert not officer.is_checked("[data-testid=participant-beta-aid]")
            officer.fill("[data-testid=government-budget]", "100000000")
            officer.click("[data-testid=review-launch]")
            officer.wait_for_selector("[data-testid=confirm-launch]")
            readable(officer, "launch review")
            officer.click("[data-testid=confirm-launch]")
            assert "Programme launched" in officer.inner_text("[data-testid=rollcall-status]")
            export = officer.request.get(f"{console}/rollcall/{incident}/export.json").json()
            timeline = duty_timeline(officer, console, incident)
            officer.close()
            assert [e.split(" ·")[0] for e in timeline] == [
                "opened: members are asked whether they can respond",
                "answer through the member's link: alpha-relief — can deploy",
                "answer through the member's link: beta-aid — not this time",
                "reminder sent → gamma-care",
                "answer taken by phone: gamma-care — not this time",
                "initial survey decided → alpha-relief",
                "programme launched: " + export["programme"]["name_en"] + " → alpha-relief",
            ]
            officers = [e.split(" · ")[1] if " · " in e else None for e in timeline]
            assert officers == [None, None, None, None, "青木 葵", "青木 葵", "青木 葵"]

            launch = wait_for(
                lambda: mails_about(system, "alpha-relief", "DEPLOY"),
                timeout=60,
                what="the participant's deploy mail",
            )
            assert "Alpha Relief" in text_of(launch[0])
            # Both others answered not this time: neither is told to deploy, nor anything else.
            for declined in ("beta-aid", "gamma-care"):
                assert not mails_about(system, declined, "DEPLOY"), declined
                assert not mails_about(system, declined, "Programme"), declined
            survey = wait_for(
                lambda: mails_about(system, "alpha-relief", "Initial survey"),
                timeout=60,
                what="the survey decision mail",
            )
            assert "5,000,000" in text_of(survey[0])
            assert [
                len(reminders(system, o)) for o in ("alpha-relief", "beta-aid", "gamma-care")
            ] == [0, 0, 1]

            rows = {o["organisation_id"]: o for o in export["organisations"]}
            assert rows["alpha-relief"]["answer"] == "can_deploy"
            assert rows["beta-aid"]["answer"] == "not_this_time"
            assert (rows["gamma-care"]["answer"], rows["gamma-care"]["via"]) == (
                "not_this_time",
                "phone",
            )
            assert export["not_answered"] == []
            assert export["survey"] == [
                {"organisation_id": "alpha-relief", "budget_jpy": 5_000_000}
            ]
            assert export["programme"]["participants"] == ["alpha-relief"]
            assert export["reminder_sent_at"] is not None
            assert [e["action"] for e in export["timeline"]] == [
                "rollcall_opened",
                "answer_recorded",
                "answer_recorded",
                "reminder_sent",
                "phone_answer_recorded",
                "survey_decided",
                "programme_launched",
            ]
        except AssertionError:
            print(system.logs())
            raise
        finally:
            system.stop()
